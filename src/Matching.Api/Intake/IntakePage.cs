using Microsoft.Net.Http.Headers;

namespace Matching.Api.Intake;

/// <summary>
/// The intake page: static files from wwwroot at <c>/</c>, open without a key (it holds no data;
/// every call it makes to /v1 sends the key the person signs in with). It runs before
/// authentication and the rate limiter: its files must not spend the per-address budget that
/// unauthenticated callers share (behind a proxy, every page load would), while every /v1 call
/// the page makes still passes both. There is no file under /v1, so it never answers there.
/// </summary>
public static class IntakePage
{
    // The page keeps an API key in session storage, so nothing but its own files may run or be
    // fetched from it, and no key or shortlist can leave through a referrer.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Serves index.html at / and the page's files with strict headers.</summary>
    public static void UseIntakePage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = ctx =>
            {
                var headers = ctx.Context.Response.Headers;
                headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers[HeaderNames.CacheControl] = "no-cache";
            },
        });
    }
}
