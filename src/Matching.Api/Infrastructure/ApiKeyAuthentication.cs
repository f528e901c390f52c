using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>What a caller may do. Each role includes the ones before it.</summary>
public enum Role
{
    /// <summary>Therapist-directory websites: match and record a choice.</summary>
    Directory,
    /// <summary>Clinic intake staff: also read shortlists and therapist details, and send feedback.</summary>
    Intake,
    /// <summary>The data team: also write the directory, manage models and erase client data.</summary>
    Data,
}

/// <summary>One caller's key.</summary>
public sealed class ApiKey
{
    /// <summary>Caller name, stored with every shortlist it requests (never the key).</summary>
    public string Name { get; set; } = "";

    /// <summary>The secret sent in <c>X-Api-Key</c>; at least 16 characters.</summary>
    public string Key { get; set; } = "";

    /// <summary>The caller's role.</summary>
    public Role Role { get; set; } = Role.Directory;
}

/// <summary>Keys bound from <c>Matching:ApiKeys</c>.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The configured keys.</summary>
    public List<ApiKey> Keys { get; } = [];
}

/// <summary>
/// <c>X-Api-Key</c> authentication. The presented key is hashed and compared with every
/// configured key's hash in constant time, so neither timing nor early exit reveals a key.
/// </summary>
public sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<ApiKeyOptions> keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>The header.</summary>
    public const string Header = "X-Api-Key";

    private readonly (byte[] Hash, ApiKey Key)[] _keys = keys.Value.Keys.Select(k => (Hash(k.Key), k)).ToArray();

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = Hash(values[0]!);
        ApiKey? match = null;
        foreach (var (hash, key) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, presented))
            {
                match = key;
            }
        }

        if (match is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, match.Name), new Claim(ClaimTypes.Role, match.Role.ToString())],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <inheritdoc />
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Authentication required",
            $"Send a valid API key in the {Header} header.");

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden",
            "Your API key's role does not allow this operation.");

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

/// <summary>Registration of authentication and the role policies.</summary>
public static class ApiKeyAuthentication
{
    /// <summary>Policy names, one per role; a policy admits its role and every higher one.</summary>
    public static string Policy(Role role) => $"role:{role}";

    /// <summary>Adds API key authentication and one authorization policy per role.</summary>
    public static void AddApiKeyAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiKeyOptions>()
            .Configure<IConfiguration>((o, config) =>
            {
                foreach (var section in config.GetSection("Matching:ApiKeys").GetChildren())
                {
                    var key = new ApiKey();
                    section.Bind(key);
                    o.Keys.Add(key);
                }
            })
            .Validate(o => o.Keys.Count > 0, "no API keys. Set at least one under Matching:ApiKeys (Name, Key of 16+ characters, Role Directory|Intake|Data), "
                + "e.g. Matching__ApiKeys__0__Name, Matching__ApiKeys__0__Key and Matching__ApiKeys__0__Role; the demo keys are loaded only with ASPNETCORE_ENVIRONMENT=Development.")
            .Validate(o => o.Keys.All(k => k.Key.Length >= 16), "every API key must be at least 16 characters (Matching:ApiKeys:N:Key).")
            .Validate(o => o.Keys.All(k => !string.IsNullOrWhiteSpace(k.Name)), "every API key needs a Name (Matching:ApiKeys:N:Name).")
            .Validate(o => o.Keys.Select(k => k.Key).Distinct(StringComparer.Ordinal).Count() == o.Keys.Count, "API keys must be distinct (Matching:ApiKeys:N:Key).")
            .ValidateOnStart();
        builder.Services.AddAuthentication(ApiKeyHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null);
        var authorization = builder.Services.AddAuthorizationBuilder();
        foreach (var role in Enum.GetValues<Role>())
        {
            var admitted = Enum.GetValues<Role>().Where(r => r >= role).Select(r => r.ToString()).ToArray();
            authorization.AddPolicy(Policy(role), p => p.RequireAuthenticatedUser().RequireRole(admitted));
        }
    }

    /// <summary>The authenticated caller's name.</summary>
    public static string CallerName(this ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous";
}
