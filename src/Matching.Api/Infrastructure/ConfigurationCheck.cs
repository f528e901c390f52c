using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>
/// Checks every option validated on start (keys, database, rate limit, demo, ...) before the
/// service does any work with them. The host would check them only when the server starts, which
/// is after the database is migrated and the demo seeded and trained (30 s and more); a
/// configuration that cannot work must fail at once, and in words an operator can act on.
/// </summary>
public static class ConfigurationCheck
{
    /// <summary>
    /// Validates the configuration; on failure writes one line per problem to standard error
    /// (no stack trace: nothing failed in the code) and returns false.
    /// </summary>
    public static bool ConfigurationIsValid(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            return true;
        }
        catch (Exception e) when (Failures(e) is { Count: > 0 } failures)
        {
            foreach (var failure in failures)
            {
                Console.Error.WriteLine($"Configuration error: {failure}");
            }

            return false;
        }
    }

    // The validator throws the one OptionsValidationException, or an AggregateException of several.
    private static List<string> Failures(Exception e) => e switch
    {
        OptionsValidationException o => [.. o.Failures],
        AggregateException a when a.InnerExceptions.All(i => i is OptionsValidationException) =>
            [.. a.InnerExceptions.Cast<OptionsValidationException>().SelectMany(o => o.Failures)],
        _ => [],
    };
}
