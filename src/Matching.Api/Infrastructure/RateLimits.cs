using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>Per-key rate limit, bound from <c>Matching:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second each key may make on average; default 200.</summary>
    public int PermitsPerSecond { get; set; } = 200;

    /// <summary>Burst allowance above the average; default 400.</summary>
    public int Burst { get; set; } = 400;
}

/// <summary>A token bucket per API key (per remote address for unauthenticated calls); 429 ProblemDetails with Retry-After.</summary>
public static class RateLimits
{
    /// <summary>Registers the limiter.</summary>
    public static void AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration("Matching:RateLimit")
            .Validate(o => o.PermitsPerSecond >= 1 && o.Burst >= 1, "Matching:RateLimit:PermitsPerSecond and Burst must be at least 1.")
            .ValidateOnStart();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                var partition = context.User.Identity?.IsAuthenticated == true
                    ? "key:" + context.User.CallerName()
                    : "ip:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.Burst,
                    TokensPerPeriod = options.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (ctx, token) =>
            {
                var retryAfter = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                ctx.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(ctx.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"This API key's rate limit was reached; retry after {retryAfter} s.");
            };
        });
    }
}
