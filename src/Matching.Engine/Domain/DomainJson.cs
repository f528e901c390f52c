using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Matching.Engine.Domain;

/// <summary>
/// JSON conventions shared by the API, the store and the files the tools write: camelCase
/// names, enums as camelCase strings (flags enums as arrays of names), and unknown enum values
/// rejected with the allowed values listed.
/// </summary>
public static class DomainJson
{
    /// <summary>Applies the conventions to <paramref name="options"/>.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = JsonNamingPolicy.CamelCase;
        options.Converters.Add(new StrictEnumConverterFactory());
        return options;
    }

    /// <summary>A ready options instance (read-only once used).</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions());

    /// <summary>The camelCase name of an enum value, as it appears in JSON.</summary>
    public static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    /// <summary>The allowed names of an enum, as they appear in JSON.</summary>
    public static IReadOnlyList<string> AllowedNames(Type enumType)
    {
        ArgumentNullException.ThrowIfNull(enumType);
        return enumType.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => !(enumType.IsDefined(typeof(FlagsAttribute)) && Convert.ToInt64(f.GetValue(null), System.Globalization.CultureInfo.InvariantCulture) == 0))
            .Select(f => JsonNamingPolicy.CamelCase.ConvertName(f.Name))
            .ToList();
    }

    private sealed class StrictEnumConverterFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(StrictEnumConverter<>).MakeGenericType(typeToConvert))!;
    }

    private sealed class StrictEnumConverter<T> : JsonConverter<T> where T : struct, Enum
    {
        private static readonly bool IsFlags = typeof(T).IsDefined(typeof(FlagsAttribute));
        private static readonly Dictionary<string, T> ByName = Enum.GetValues<T>()
            .Where(v => !IsFlags || Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) != 0)
            .ToDictionary(v => JsonNamingPolicy.CamelCase.ConvertName(v.ToString()), v => v, StringComparer.OrdinalIgnoreCase);

        private static readonly string Allowed = string.Join(", ", ByName.Keys);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (IsFlags && reader.TokenType == JsonTokenType.StartArray)
            {
                long bits = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    bits |= Convert.ToInt64(ReadOne(ref reader), System.Globalization.CultureInfo.InvariantCulture);
                }

                return (T)Enum.ToObject(typeof(T), bits);
            }

            return ReadOne(ref reader);
        }

        private static T ReadOne(ref Utf8JsonReader reader)
        {
            // Dictionary keys arrive as property names, values as strings.
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            {
                throw new JsonException($"Expected one of: {Allowed}.");
            }

            var text = reader.GetString()!;
            return ByName.TryGetValue(text, out var value)
                ? value
                : throw new JsonException($"'{Truncate(text)}' is not one of: {Allowed}.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            if (!IsFlags)
            {
                writer.WriteStringValue(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));
                return;
            }

            var bits = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            writer.WriteStartArray();
            foreach (var (name, flag) in ByName)
            {
                var f = Convert.ToInt64(flag, System.Globalization.CultureInfo.InvariantCulture);
                if ((bits & f) == f)
                {
                    writer.WriteStringValue(name);
                }
            }

            writer.WriteEndArray();
        }

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadOne(ref reader);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WritePropertyName(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));

        private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
    }
}
