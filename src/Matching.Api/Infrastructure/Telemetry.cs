using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Matching.Api.Infrastructure;

/// <summary>Telemetry settings, bound from <c>Matching:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Matching:Telemetry";

    /// <summary>
    /// The port /metrics is served on, alone and without an API key (list it in
    /// <c>ASPNETCORE_HTTP_PORTS</c> too), for Prometheus to scrape pods directly. Default none:
    /// /metrics is then served on the API's port to the data role.
    /// </summary>
    public int? MetricsPort { get; set; }

    /// <summary>Record spans (ASP.NET Core, SqlClient). Default: on when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, off otherwise.</summary>
    public bool? Tracing { get; set; }
}

/// <summary>
/// The service's own meters, one place for their names. Instruments are static and tagged only
/// from a small fixed set (model version, feedback kind, training decision), never with a request
/// value or a client id, so recording costs no allocation on the match path.
/// </summary>
public static class MatchingMetrics
{
    /// <summary>The meter every instrument below belongs to.</summary>
    public const string MeterName = "Matching.Api";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Shortlists served, by model version.</summary>
    public static Counter<long> MatchesServed { get; } =
        Meter.CreateCounter<long>("matching.matches", "{match}", "Shortlists served, by the model version that ranked them.");

    /// <summary>Therapists left after the hard constraints, per match.</summary>
    public static Histogram<int> EligibleCandidates { get; } =
        Meter.CreateHistogram<int>("matching.match.eligible", "{therapist}", "Therapists that passed the hard constraints, per match.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] });

    /// <summary>Time to filter and rank one match (the store write excluded), by model version.</summary>
    public static Histogram<double> MatchDuration { get; } =
        Meter.CreateHistogram<double>("matching.match.duration", "s", "Time to filter and rank one match, without storing it, by model version.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25] });

    /// <summary>Feedback stored, by kind: choice, rating, outcome.</summary>
    public static Counter<long> FeedbackWritten { get; } =
        Meter.CreateCounter<long>("matching.feedback", "{record}", "Feedback stored: kind = choice, rating or outcome.");

    /// <summary>Models swapped in to serve on this replica, by version.</summary>
    public static Counter<long> ModelReloads { get; } =
        Meter.CreateCounter<long>("matching.model.reloads", "{model}", "Models swapped in to serve on this replica, by the version now serving.");

    /// <summary>Active or requested models that failed to load or validate and were not served.</summary>
    public static Counter<long> ModelLoadFailures { get; } =
        Meter.CreateCounter<long>("matching.model.load_failures", "{model}", "Models that failed to load or validate and were not served.");

    /// <summary>In-process training runs, by decision (promoted, kept, forced, failed).</summary>
    public static Counter<long> TrainingRuns { get; } =
        Meter.CreateCounter<long>("matching.training.runs", "{run}", "Training runs of this process (Matching:Training:Enabled), by decision.");

    /// <summary>Counts a match served and records its size and ranking time.</summary>
    public static void MatchServed(string modelVersion, int eligible, TimeSpan rankingTime)
    {
        var model = new KeyValuePair<string, object?>("model.version", modelVersion);
        MatchesServed.Add(1, model);
        EligibleCandidates.Record(eligible);
        MatchDuration.Record(rankingTime.TotalSeconds, model);
    }

    /// <summary>Counts one feedback record of a kind.</summary>
    public static void Feedback(string kind) => FeedbackWritten.Add(1, new KeyValuePair<string, object?>("kind", kind));
}

/// <summary>OpenTelemetry traces and metrics, the /metrics endpoint, and JSON console logs in production.</summary>
public static class Telemetry
{
    /// <summary>
    /// Metrics (ASP.NET Core, Kestrel, SqlClient, the .NET runtime's own,
    /// <see cref="MatchingMetrics"/>), always readable at /metrics, and traces (ASP.NET Core,
    /// SqlClient); both exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    public static void AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => o.MetricsPort is null or (> 0 and <= 65535), "Matching:Telemetry:MetricsPort must be a port number.")
            .ValidateOnStart();
        if (builder.Environment.IsProduction())
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "matching-api"))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddSqlClientInstrumentation()
                .AddMeter("System.Runtime", MatchingMetrics.MeterName)
                .AddPrometheusExporter());
        // Spans cost an allocation per request, worth it only when something receives them.
        if (builder.Configuration.GetValue<bool?>($"{TelemetryOptions.Section}:Tracing") ?? otlp)
        {
            otel.WithTracing(t => t
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.Filter = context => !IsProbeOrScrape(context.Request.Path);
                    o.EnrichWithHttpResponse = RemoveRequestValues;
                })
                .AddSqlClientInstrumentation());
        }

        if (otlp)
        {
            otel.UseOtlpExporter();
        }
    }

    /// <summary>
    /// /metrics in the Prometheus text format: on <see cref="TelemetryOptions.MetricsPort"/> alone
    /// when set (a branch first in the pipeline: that port serves nothing else, and asks for no
    /// key), otherwise as an endpoint of the API's port for the data role.
    /// </summary>
    public static void UseMetrics(this WebApplication app)
    {
        if (app.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>()?.MetricsPort is { } port)
        {
            app.UseWhen(c => c.Connection.LocalPort == port, metricsPort => metricsPort
                .UseOpenTelemetryPrometheusScrapingEndpoint(c => c.Request.Path == "/metrics")
                .Run(c =>
                {
                    c.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }));
            return;
        }

        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(ApiKeyAuthentication.Policy(Role.Data));
    }

    private static bool IsProbeOrScrape(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    // A span names the route template, never the path as sent: paths carry client ids
    // (DELETE /v1/clients/{clientId}) and queries carry filters. Who called (address, agent) is
    // not kept either.
    private static void RemoveRequestValues(Activity activity, HttpResponse response)
    {
        var route = (response.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        activity.SetTag("url.path", route ?? "(unmatched)");
        activity.SetTag("url.query", null);
        activity.SetTag("client.address", null);
        activity.SetTag("client.port", null);
        activity.SetTag("network.peer.address", null);
        activity.SetTag("network.peer.port", null);
        activity.SetTag("user_agent.original", null);
        activity.SetTag("url.full", null);
    }
}
