using Matching.Engine.Domain;

namespace Matching.Api.Infrastructure;

/// <summary>
/// Collects validation errors keyed by the JSON path of the field (camelCase, e.g.
/// <c>constraints.city</c>), for <c>TypedResults.ValidationProblem</c>.
/// </summary>
public sealed class RequestErrors
{
    private readonly Dictionary<string, List<string>> _errors = [];

    /// <summary>Whether nothing was wrong.</summary>
    public bool IsValid => _errors.Count == 0;

    /// <summary>Number of messages so far.</summary>
    public int Count => _errors.Values.Sum(v => v.Count);

    /// <summary>The errors in the shape ValidationProblem takes.</summary>
    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    /// <summary>Adds an error.</summary>
    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>Requires a value; returns whether it was present.</summary>
    public bool Required<T>(string field, T? value)
    {
        if (value is null || (value is string s && string.IsNullOrWhiteSpace(s)))
        {
            Add(field, $"{field} is required.");
            return false;
        }

        return true;
    }

    /// <summary>A number in [min, max].</summary>
    public void Range(string field, double? value, double min, double max)
    {
        if (value is { } v && (double.IsNaN(v) || v < min || v > max))
        {
            Add(field, $"{field} must be between {min} and {max}.");
        }
    }

    /// <summary>A tag (lower-case letters, digits, hyphens; 1-40 characters).</summary>
    public void Tag(string field, string? value)
    {
        if (value is not null && !Vocabulary.IsValidTag(value))
        {
            Add(field, $"{field} must be a lower-case tag of letters, digits and hyphens (1-40 characters).");
        }
    }

    /// <summary>A list with a bounded count and distinct items, each checked by <paramref name="item"/>.</summary>
    public void List<T>(string field, IReadOnlyList<T>? values, int min, int max, Action<string, T>? item = null)
    {
        if (values is null)
        {
            if (min > 0)
            {
                Add(field, $"{field} is required.");
            }

            return;
        }

        if (values.Count < min || values.Count > max)
        {
            Add(field, min == max ? $"{field} must have {min} items." : $"{field} must have {min}-{max} items.");
            return;
        }

        if (Repeats(values))
        {
            Add(field, $"{field} must not repeat an item.");
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is null)
            {
                Add($"{field}[{i}]", $"{field}[{i}] is required.");
            }
            else
            {
                item?.Invoke($"{field}[{i}]", values[i]);
            }
        }
    }

    // A match request's lists hold a handful of items: comparing pairs costs less than a set per
    // request. Long lists (an import) use a set.
    private static bool Repeats<T>(IReadOnlyList<T> values)
    {
        if (values.Count > 16)
        {
            return values.Distinct().Count() != values.Count;
        }

        var comparer = EqualityComparer<T>.Default;
        for (var i = 1; i < values.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (comparer.Equals(values[i], values[j]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A pseudonymous id: 1-64 letters, digits, hyphens or underscores. Never a name or an e-mail address.</summary>
    public void PseudonymousId(string field, string? value)
    {
        if (Required(field, value) && (value!.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            Add(field, $"{field} must be a pseudonymous id of 1-64 letters, digits, '-' or '_'.");
        }
    }
}
