using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Matching.Engine.Domain;

namespace Matching.Api.Infrastructure;

/// <summary>
/// A request body the JSON reader could not turn into the endpoint's request type, described in
/// the API's terms: the field's JSON path, what the field takes, and the line and position
/// (both from 1) where reading stopped. Nothing of the reader's own wording or of .NET type
/// names reaches the caller: the description comes from walking the request type's JSON
/// contract along the path, not from the exception's message.
/// </summary>
public sealed record BodyError(string Title, string Field, string Message, long Line, long Position)
{
    /// <summary>Describes <paramref name="exception"/>, thrown while reading a <paramref name="requestType"/>.</summary>
    public static BodyError Describe(JsonException exception, Type? requestType, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(options);
        var line = (exception.LineNumber ?? 0) + 1;
        var position = (exception.BytePositionInLine ?? 0) + 1;
        var field = Problems.FieldFromJsonPath(exception.Path);
        var at = $"line {line}, position {position}";

        // The reader's own failures (bad syntax, a truncated document) carry its exception inside.
        if (exception.InnerException is JsonException)
        {
            return new BodyError("Malformed JSON", field, $"The body is not valid JSON: it breaks at {at}.", line, position);
        }

        var (contract, unknown, parent) = Walk(requestType, exception.Path, options);
        if (unknown is not null)
        {
            var where = parent is null ? "the body" : parent;
            return new BodyError("Unknown member", field,
                $"{field} is not a member of {where} ({at}); {where} takes: {string.Join(", ", contract!.Properties.Select(p => p.Name))}.", line, position);
        }

        return contract is null
            ? new BodyError("Invalid value", field, $"{field} has a value of the wrong type ({at}).", line, position)
            : new BodyError("Invalid value", field, $"{(field == "body" ? "The body" : field)} must be {Expected(contract)} ({at}).", line, position);
    }

    /// <summary>What a JSON value of this contract looks like, in words.</summary>
    private static string Expected(JsonTypeInfo contract)
    {
        var type = Nullable.GetUnderlyingType(contract.Type) ?? contract.Type;
        if (type.IsEnum)
        {
            var names = string.Join(", ", DomainJson.AllowedNames(type));
            return type.IsDefined(typeof(FlagsAttribute), false) ? $"an array of: {names}" : $"one of: {names}";
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64 or TypeCode.Byte or TypeCode.UInt16 or TypeCode.UInt32 or TypeCode.UInt64 => "a whole number",
            TypeCode.Double or TypeCode.Single or TypeCode.Decimal => "a number",
            TypeCode.Boolean => "true or false",
            TypeCode.String => "a string",
            _ when type == typeof(Guid) => "a GUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time (ISO 8601)",
            _ => contract.Kind switch
            {
                JsonTypeInfoKind.Enumerable => "an array",
                _ => "a JSON object",
            },
        };
    }

    /// <summary>
    /// Follows a path like <c>$.constraints.ageGroup</c> or <c>$.therapists[3].fee</c> through the
    /// request type's contract. Returns the contract at the end, or the name of a member the
    /// contract does not have with the object contract (and its path) that lacks it.
    /// </summary>
    private static (JsonTypeInfo? Contract, string? Unknown, string? Parent) Walk(Type? requestType, string? path, JsonSerializerOptions options)
    {
        if (requestType is null)
        {
            return (null, null, null);
        }

        var contract = options.GetTypeInfo(requestType);
        var walked = "";
        foreach (var segment in Segments(path ?? "$"))
        {
            if (segment.Index)
            {
                if (contract.ElementType is null)
                {
                    return (null, null, null);
                }

                contract = options.GetTypeInfo(contract.ElementType);
                walked += $"[{segment.Name}]";
                continue;
            }

            if (Nullable.GetUnderlyingType(contract.Type) is { } underlying)
            {
                contract = options.GetTypeInfo(underlying);
            }

            if (contract.Kind != JsonTypeInfoKind.Object)
            {
                return (null, null, null);
            }

            var property = contract.Properties.FirstOrDefault(p => string.Equals(p.Name, segment.Name, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                return (contract, segment.Name, walked.Length == 0 ? null : walked);
            }

            walked += walked.Length == 0 ? property.Name : "." + property.Name;
            contract = options.GetTypeInfo(property.PropertyType);
        }

        return (contract, null, null);
    }

    /// <summary>Splits a JSON path (<c>$.a.b[2]['c.d']</c>) into member names and indices.</summary>
    private static IEnumerable<(string Name, bool Index)> Segments(string path)
    {
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 1)..end], false);
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 2)..end], false);
                i = Math.Min(path.Length, end + 2);
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i + 1);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 1)..end], true);
                i = Math.Min(path.Length, end + 1);
            }
            else
            {
                yield break;
            }
        }
    }
}
