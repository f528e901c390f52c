using System.Reflection;
using System.Runtime.CompilerServices;
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
    public static string Name<T>(T value) where T : struct, Enum =>
        Names<T>.Of.TryGetValue(value, out var name) ? name : JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    // Each named member's JSON name, made once.
    private static class Names<T>
        where T : struct, Enum
    {
        public static readonly Dictionary<T, string> Of = Enum.GetValues<T>().Distinct()
            .ToDictionary(v => v, v => JsonNamingPolicy.CamelCase.ConvertName(v.ToString()));
    }

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

        private static readonly Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> BySpan = ByName.GetAlternateLookup<ReadOnlySpan<char>>();

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

            // The usual case, a short unescaped name, is looked up without making a string.
            if (!reader.HasValueSequence && !reader.ValueIsEscaped && reader.ValueSpan.Length <= 64)
            {
                Span<char> chars = stackalloc char[64];
                if (BySpan.TryGetValue(chars[..reader.CopyString(chars)], out var found))
                {
                    return found;
                }
            }

            var text = reader.GetString()!;
            return ByName.TryGetValue(text, out var value)
                ? value
                : throw new JsonException($"'{Truncate(text)}' is not one of: {Allowed}.");
        }

        // Names encoded once: every stored request writes its enums, so writing one must not
        // format or box (Write was a measurable share of a match's allocations).
        private static readonly Dictionary<T, JsonEncodedText> NameOf = Names<T>.Of.ToDictionary(p => p.Key, p => JsonEncodedText.Encode(p.Value));
        private static readonly (long Bits, JsonEncodedText Name)[] Flags = ByName
            .Select(p => (Convert.ToInt64(p.Value, System.Globalization.CultureInfo.InvariantCulture), JsonEncodedText.Encode(p.Key))).ToArray();

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            if (!IsFlags)
            {
                if (NameOf.TryGetValue(value, out var name))
                {
                    writer.WriteStringValue(name);
                }
                else
                {
                    writer.WriteStringValue(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));
                }

                return;
            }

            var bits = Unsafe.SizeOf<T>() switch
            {
                1 => Unsafe.BitCast<T, byte>(value),
                2 => Unsafe.BitCast<T, ushort>(value),
                4 => Unsafe.BitCast<T, uint>(value),
                _ => (long)Unsafe.BitCast<T, ulong>(value),
            };
            writer.WriteStartArray();
            foreach (var (f, name) in Flags)
            {
                if ((bits & f) == f)
                {
                    writer.WriteStringValue(name);
                }
            }

            writer.WriteEndArray();
        }

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadOne(ref reader);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            if (NameOf.TryGetValue(value, out var name))
            {
                writer.WritePropertyName(name);
            }
            else
            {
                writer.WritePropertyName(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));
            }
        }

        private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
    }
}
