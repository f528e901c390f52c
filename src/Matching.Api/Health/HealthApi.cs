using System.Text.Json;
using Matching.Api.Ranking;
using Matching.Data;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Matching.Api.Health;

/// <summary>
/// Liveness (the process answers) and readiness (database reachable and migrated, a ranker
/// loaded). Both are open to unauthenticated probes and reveal no data: only check names,
/// status, the model version and the reason a check failed.
/// </summary>
public static class HealthApi
{
    /// <summary>Registers the readiness checks.</summary>
    public static IHealthChecksBuilder AddMatchingChecks(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddCheck<DatabaseCheck>("database", tags: ["ready"])
            .AddCheck<RankerCheck>("ranker", tags: ["ready"]);
    }

    /// <summary>Maps /health/live and /health/ready.</summary>
    public static void MapHealth(this IEndpointRouteBuilder routes)
    {
        // Never rate limited: a probe shares its address with whatever else calls from there (a
        // load balancer, a node), and a 429 would take a healthy replica out of service.
        routes.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous().DisableRateLimiting();
        routes.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteAsync }).AllowAnonymous().DisableRateLimiting();
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), detail = e.Value.Description }),
        }));
    }

    private sealed class DatabaseCheck(MatchingDatabase db, Migrator migrator) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var applied = await migrator.AppliedAsync(cancellationToken);
                var pending = migrator.Migrations.Count(m => !applied.Contains(m.Number));
                return pending == 0
                    ? HealthCheckResult.Healthy($"{db.Engine}, schema at migration {applied.DefaultIfEmpty(0).Max()}")
                    : HealthCheckResult.Unhealthy($"{db.Engine}: {pending} migration(s) pending; run 'matching db migrate'.");
            }
            catch (System.Data.Common.DbException e)
            {
                return HealthCheckResult.Unhealthy($"{db.Engine} unreachable: {e.GetType().Name}");
            }
        }
    }

    private sealed class RankerCheck(RankerHolder ranker, ModelLoader loader) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(loader.Failure is { } failure
                ? HealthCheckResult.Degraded($"model {ranker.Current.Version}; the active model {failure.Version} could not be loaded: {failure.Reason}")
                : HealthCheckResult.Healthy($"model {ranker.Current.Version}"));
    }
}
