using System.Collections;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>
/// The one point every log line passes: no request value, client id or preference reaches a log,
/// whoever writes it. The framework's messages quote requests (a path with a client id, a query
/// string, a body's enum text, a header, a line broken by <c>%0A</c>), and so do exception messages
/// (a JSON reader quoting the value it choked on, a database quoting a duplicate key). So:
/// <list type="bullet">
/// <item>every exception is logged by its type and stack trace, never its message;</item>
/// <item>a framework message keeps its template and its numbers, booleans, enums and durations;
/// every other value (strings, paths, query strings, ids) becomes <c>[redacted]</c>, and so do
/// the values of framework scopes (the request path the host puts in scope);</item>
/// <item>the service's own categories (<c>Matching.*</c>) and the host's start-up lines keep their
/// values: they log counts, versions and durations, nothing of a request.</item>
/// </list>
/// It wraps the logger factory, so it holds for every provider (console, OpenTelemetry, tests)
/// and every level an operator may switch on.
/// </summary>
public static class LogRedaction
{
    /// <summary>What a withheld value is written as.</summary>
    public const string Redacted = "[redacted]";

    /// <summary>Replaces the logger factory with one that redacts.</summary>
    public static void AddLogRedaction(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new RedactingLoggerFactory(new LoggerFactory(
            sp.GetServices<ILoggerProvider>(),
            sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            sp.GetService<IOptions<LoggerFactoryOptions>>(),
            sp.GetService<IExternalScopeProvider>()))));
    }

    /// <summary>Whether a category's values are logged as they are: the service's own and the host's lifetime lines.</summary>
    public static bool IsTrusted(string category) =>
        category.StartsWith("Matching.", StringComparison.Ordinal) || category == "Microsoft.Hosting.Lifetime";

    /// <summary>Whether a value may be logged from a framework category: it cannot hold request text.</summary>
    public static bool IsSafeValue(object? value) => value is null or bool or byte or sbyte or short or ushort or int or uint or long or ulong
        or float or double or decimal or TimeSpan or Enum;

    private sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), IsTrusted(categoryName));

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class RedactingLogger(ILogger inner, bool trusted) : ILogger
    {
        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            trusted ? inner.BeginScope(state) : inner.BeginScope(RedactedValues.From(state));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var withheld = exception is null ? null : new RedactedException(exception);
            if (trusted)
            {
                inner.Log(logLevel, eventId, state, withheld, (s, _) => formatter(s, exception));
                return;
            }

            inner.Log(logLevel, eventId, RedactedValues.From(state), withheld, (s, _) => s.ToString());
        }
    }

    /// <summary>A framework message's values with everything that may quote a request withheld, formatted from its template.</summary>
    private sealed class RedactedValues : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private const string OriginalFormat = "{OriginalFormat}";
        private readonly List<KeyValuePair<string, object?>> _values;
        private readonly string _text;

        private RedactedValues(List<KeyValuePair<string, object?>> values, string text)
        {
            _values = values;
            _text = text;
        }

        public static RedactedValues From<TState>(TState state)
        {
            if (state is not IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                // A message without a template: nothing tells its words from the request's.
                return new RedactedValues([], Redacted);
            }

            var values = new List<KeyValuePair<string, object?>>();
            string? template = null;
            foreach (var (key, value) in pairs)
            {
                if (key == OriginalFormat)
                {
                    template = value as string;
                    values.Add(new(key, value));
                }
                else
                {
                    values.Add(new(key, IsSafeValue(value) ? value : Redacted));
                }
            }

            return new RedactedValues(values, template is null
                ? string.Join(" ", values.Select(v => $"{v.Key}:{v.Value}"))
                : Format(template, values.Where(v => v.Key != OriginalFormat).Select(v => v.Value).ToList()));
        }

        public KeyValuePair<string, object?> this[int index] => _values[index];

        public int Count => _values.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => _text;

        /// <summary>Fills a message template's holes (<c>{Name}</c>, <c>{Name:format}</c>) in order; <c>{{</c> and <c>}}</c> are braces.</summary>
        private static string Format(string template, List<object?> values)
        {
            var text = new StringBuilder(template.Length + 16);
            var next = 0;
            for (var i = 0; i < template.Length; i++)
            {
                var c = template[i];
                if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
                {
                    text.Append(c);
                    i++;
                }
                else if (c == '{' && template.IndexOf('}', i) is var close and > 0)
                {
                    var hole = template[(i + 1)..close];
                    var colon = hole.IndexOf(':', StringComparison.Ordinal);
                    var value = next < values.Count ? values[next++] : null;
                    text.Append(value is IFormattable f && colon >= 0
                        ? f.ToString(hole[(colon + 1)..], CultureInfo.InvariantCulture)
                        : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "(null)");
                    i = close;
                }
                else
                {
                    text.Append(c);
                }
            }

            return text.ToString();
        }
    }

    /// <summary>An exception as the log may show it: its type, its stack and its inner exceptions', without messages.</summary>
    private sealed class RedactedException(Exception original)
        : Exception($"{original.GetType().FullName} (message withheld: it may quote the request)",
            original.InnerException is { } inner ? new RedactedException(inner) : null)
    {
        public override string? StackTrace => original.StackTrace;

        public override string ToString()
        {
            var text = new StringBuilder(Message);
            if (InnerException is not null)
            {
                text.Append(" ---> ").Append(InnerException).AppendLine().Append("   --- End of inner exception stack trace ---");
            }

            if (StackTrace is { } stack)
            {
                text.AppendLine().Append(stack);
            }

            return text.ToString();
        }
    }
}
