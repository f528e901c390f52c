using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

using Microsoft.AspNetCore.Mvc;
using Matching.Engine.Domain;

namespace Matching.Api.Infrastructure;

/// <summary>
/// Every error a caller sees is RFC 9457 ProblemDetails: validation from the handlers, and here
/// the failures that happen before a handler runs (malformed JSON, unknown enum values, a body
/// too large) and any unexpected exception.
/// </summary>
public static partial class Problems
{
    /// <summary>Largest request body accepted, except the bulk import.</summary>
    public const long MaxBodyBytes = 256 * 1024;

    /// <summary>Largest bulk import body.</summary>
    public const long MaxImportBytes = 16 * 1024 * 1024;

    /// <summary>Registers ProblemDetails, JSON conventions and the exception handler.</summary>
    public static void AddProblemResponses(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier);
        builder.Services.AddExceptionHandler<BadRequestHandler>();
        // Outside Development minimal APIs answer a body they cannot read with a bare 400; throwing
        // lets BadRequestHandler name the field in every environment.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o => DomainJson.Configure(o.SerializerOptions));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxImportBytes);
    }

    /// <summary>Exception handler, status pages and the body size limit.</summary>
    public static void UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
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
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail, string? field = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        ProblemDetails problem = field is null
            ? new ProblemDetails { Status = status, Title = title, Detail = detail }
            : new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [detail] }) { Status = status, Title = title, Detail = detail };
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    /// <summary>Turns "$.constraints.format" into "constraints.format".</summary>
    public static string FieldFromJsonPath(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

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

    private sealed class BadRequestHandler(ILogger<BadRequestHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            switch (exception)
            {
                case BadHttpRequestException { InnerException: JsonException json }:
                    await WriteAsync(context, StatusCodes.Status400BadRequest, "Malformed request body", json.Message.Split(" Path:")[0], FieldFromJsonPath(json.Path));
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
                    // No request data in the log: only the exception type and route, never bodies or client ids.
                    logger.LogError(exception, "Unhandled {ExceptionType} on {Route}", exception.GetType().Name, context.GetEndpoint()?.DisplayName);
                    await WriteAsync(context, StatusCodes.Status500InternalServerError, "Unexpected error", "The error was logged; nothing was changed by this request.");
                    return true;
            }
        }
    }
}
