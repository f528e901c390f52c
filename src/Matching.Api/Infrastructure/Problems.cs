using System.Text.Json;
using System.Text.Json.Serialization;
using Matching.Engine.Domain;
using Microsoft.AspNetCore.Diagnostics;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>
/// Every error a caller sees is RFC 9457 ProblemDetails: validation from the handlers, and here
/// the failures that happen before a handler runs (malformed JSON, unknown enum values, a body
/// too large) and any unexpected exception. One writer writes them all, whatever the request's
/// <c>Accept</c> header says.
/// </summary>
public static partial class Problems
{
    /// <summary>Largest request body accepted, except the bulk import.</summary>
    public const long MaxBodyBytes = 256 * 1024;

    /// <summary>Largest bulk import body.</summary>
    public const long MaxImportBytes = 16 * 1024 * 1024;

    /// <summary>The media type of every error response.</summary>
    public const string MediaType = "application/problem+json";

    /// <summary>Registers ProblemDetails, JSON conventions and the exception handler.</summary>
    public static void AddProblemResponses(this WebApplicationBuilder builder)
    {
        // Registered before AddProblemDetails so it is the first writer asked, and it always
        // accepts: the framework's writer declines when Accept names no JSON type, and a
        // declined error became an empty 500.
        builder.Services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier);
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        // Outside Development minimal APIs answer a body they cannot read with a bare 400; throwing
        // lets BadRequestHandler name the field in every environment.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(o =>
        {
            DomainJson.Configure(o.SerializerOptions);
            // Request bodies are closed: a member the API does not know is a 400 naming it, so a
            // misspelt optional field is never silently ignored (the OpenAPI document says
            // additionalProperties: false, and this makes it true).
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxImportBytes);
    }

    /// <summary>Exception handler, status pages and the body size limit.</summary>
    public static void UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler();
        // A status set without a body (no route, wrong method, a body that is not JSON) becomes a problem too.
        app.UseStatusCodePages(async pages =>
        {
            var status = pages.HttpContext.Response.StatusCode;
            var detail = FrameworkStatusDetails.GetValueOrDefault(status, "The request could not be served.");
            await WriteAsync(pages.HttpContext, status, ReasonPhrases.GetReasonPhrase(status), detail,
                status == StatusCodes.Status415UnsupportedMediaType ? "body" : null);
        });
        app.Use(async (context, next) =>
        {
            var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()?.Bytes ?? MaxBodyBytes;
            if (context.Request.ContentLength is { } length && length > limit)
            {
                await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                    $"The body is {length} bytes; this endpoint accepts at most {limit}.", "body");
                return;
            }

            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit;
            }

            await next(context);
        });
    }

    /// <summary>Endpoint metadata raising the body limit.</summary>
    public sealed record BodyLimit(long Bytes);

    /// <summary>Writes a ProblemDetails response, optionally naming the field at fault.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail, string? field = null,
        IDictionary<string, object?>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        ProblemDetails problem = field is null
            ? new ProblemDetails { Status = status, Title = title, Detail = detail }
            : new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [detail] }) { Status = status, Title = title, Detail = detail };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }

        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    /// <summary>Turns "$.constraints.format" into "constraints.format".</summary>
    public static string FieldFromJsonPath(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>
    /// The section of the RFC that defines a status code, as the problem's <c>type</c>, in the
    /// form the framework's own validation and not-found results use.
    /// </summary>
    public static string TypeFor(int status) => status switch
    {
        StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
        >= 400 and <= 418 => $"https://tools.ietf.org/html/rfc9110#section-15.5.{status - 399}",
        421 or 422 => $"https://tools.ietf.org/html/rfc9110#section-15.5.{status - 401}",
        426 => "https://tools.ietf.org/html/rfc9110#section-15.5.22",
        >= 500 and <= 505 => $"https://tools.ietf.org/html/rfc9110#section-15.6.{status - 499}",
        _ => "about:blank",
    };

    // What a status the framework sets on its own (no handler ran) means to a caller of this API.
    private static readonly Dictionary<int, string> FrameworkStatusDetails = new()
    {
        [StatusCodes.Status404NotFound] = "Nothing is served at this path; see /swagger for the API.",
        [StatusCodes.Status405MethodNotAllowed] = "This path does not take this HTTP method; see /swagger for the API.",
        [StatusCodes.Status415UnsupportedMediaType] = "Send the body as JSON with Content-Type: application/json.",
    };

    // Minimal APIs word a route or query value of the wrong type as: Failed to bind parameter "int page" from "abc".
    [System.Text.RegularExpressions.GeneratedRegex("^Failed to bind parameter \"(?<type>[^ \"]+) (?<name>[^\"]+)\" from")]
    private static partial System.Text.RegularExpressions.Regex BindFailure();

    private static string Friendly(string type) => type.TrimEnd('?') switch
    {
        "int" or "Int32" => "whole number",
        "bool" or "Boolean" => "boolean (true or false)",
        "Guid" => "GUID",
        "double" or "decimal" => "number",
        var other => other,
    };

    /// <summary>
    /// Writes <c>application/problem+json</c> for every problem, whatever the <c>Accept</c>
    /// header: an API error has one representation, and a client that asked for HTML still
    /// needs to learn what went wrong.
    /// </summary>
    private sealed class ProblemJsonWriter(IOptions<ProblemDetailsOptions> options, IOptions<JsonOptions> json) : IProblemDetailsWriter
    {
        public bool CanWrite(ProblemDetailsContext context) => true;

        public ValueTask WriteAsync(ProblemDetailsContext context)
        {
            var http = context.HttpContext;
            var problem = context.ProblemDetails;
            var status = problem.Status ?? http.Response.StatusCode;
            problem.Status = status;
            problem.Title ??= ReasonPhrases.GetReasonPhrase(status);
            problem.Type ??= TypeFor(status);
            if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } invalid)
            {
                problem.Detail ??= $"{invalid.Errors.Count} field(s) at fault; errors names each by its JSON path.";
            }

            options.Value.CustomizeProblemDetails?.Invoke(context);
            return new ValueTask(http.Response.WriteAsJsonAsync(problem, problem.GetType(), json.Value.SerializerOptions, MediaType, http.RequestAborted));
        }
    }

    private sealed class BadRequestHandler(ILogger<BadRequestHandler> logger, IOptions<JsonOptions> json) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            // The middleware clears the request's endpoint before handlers run; the feature keeps it.
            var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
            switch (exception)
            {
                case BadHttpRequestException { InnerException: JsonException bad }:
                    var error = BodyError.Describe(bad, endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType, json.Value.SerializerOptions);
                    await WriteAsync(context, StatusCodes.Status400BadRequest, error.Title, error.Message, error.Field,
                        new Dictionary<string, object?> { ["line"] = error.Line, ["position"] = error.Position });
                    return true;
                case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                    await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large", "The request body exceeds this endpoint's limit.", "body");
                    return true;
                case BadHttpRequestException bad when BindFailure().Match(bad.Message) is { Success: true } m:
                    await WriteAsync(context, StatusCodes.Status400BadRequest, "Invalid parameter",
                        $"{m.Groups["name"].Value} must be a {Friendly(m.Groups["type"].Value)}.", m.Groups["name"].Value);
                    return true;
                case BadHttpRequestException bad:
                    await WriteAsync(context, bad.StatusCode, "Bad request", bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase)
                        ? "A JSON request body is required." : "The request could not be read.", "body");
                    return true;
                default:
                    // The exception goes to the log redacted (LogRedaction): its type and stack, never its message.
                    logger.LogError(exception, "Unhandled {ExceptionType} on {Route}", exception.GetType().Name, endpoint?.DisplayName);
                    await WriteAsync(context, StatusCodes.Status500InternalServerError, "Unexpected error", "The error was logged; nothing was changed by this request.");
                    return true;
            }
        }
    }
}
