using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>
/// In Development, prints where the service listens and the demo keys, so the README's first
/// command leads straight to a working request. Never in other environments: keys stay out of logs.
/// </summary>
public static class StartupBanner
{
    /// <summary>Registers the banner to print once the server listens.</summary>
    public static void PrintDemoBannerWhenStarted(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            return;
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var keys = app.Services.GetRequiredService<IOptions<ApiKeyOptions>>().Value.Keys;
            Console.WriteLine();
            Console.WriteLine($"Therapist matching API on {string.Join(", ", app.Urls)}  (Swagger UI: {app.Urls.FirstOrDefault()}/swagger)");
            Console.WriteLine($"Intake page: {app.Urls.FirstOrDefault()}/  (sign in with the intake key)");
            Console.WriteLine("Demo API keys (Development only), send as X-Api-Key:");
            foreach (var k in keys)
            {
                Console.WriteLine($"  {k.Role,-9} {k.Key}");
            }

            Console.WriteLine();
        });
    }
}
