using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Matching.LoadTest;

/// <summary>What a request does.</summary>
public enum RequestKind
{
    Match,
    Choice,
    Rating,
    Outcome,
}

/// <summary>
/// How a request ended: an HTTP status (2xx is success, anything else an error) or one of the
/// negative codes for requests that got no response.
/// </summary>
public static class Outcome
{
    /// <summary>No response within the request timeout.</summary>
    public const int Timeout = -1;

    /// <summary>The connection failed or broke.</summary>
    public const int Failed = -2;

    /// <summary>Open loop only: never sent, because the backlog of requests waiting for a connection was full.</summary>
    public const int Dropped = -3;

    /// <summary>Sent (or waiting for a connection) but unanswered when the phase's drain deadline passed.</summary>
    public const int Unfinished = -4;

    public static bool IsSuccess(int status) => status is >= 200 and < 300;

    /// <summary>The latency of such a request is only a lower bound.</summary>
    public static bool IsCensored(int status) => status is Timeout or Dropped or Unfinished;

    public static string Name(int status) => status switch
    {
        Timeout => "timeout",
        Failed => "connection",
        Dropped => "dropped",
        Unfinished => "unfinished",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>One request: what it was, how it ended, and its latency (from the scheduled send time in open loop).</summary>
public readonly record struct Sample(RequestKind Kind, int Status, double LatencyMs);

/// <summary>The request mix of a scenario: every request a match, or 80% matches and 20% writes.</summary>
public sealed record TrafficMix(string Name, double WriteShare)
{
    public static readonly TrafficMix MatchOnly = new("match-only", 0);

    /// <summary>80% matches; the 20% writes split evenly among choice, alliance rating and outcome event.</summary>
    public static readonly TrafficMix Mixed = new("mixed", 0.2);

    public bool HasWrites => WriteShare > 0;

    public RequestKind Plan(Random rng)
    {
        var u = rng.NextDouble();
        if (u >= WriteShare)
        {
            return RequestKind.Match;
        }

        return (int)(u / WriteShare * 3) switch
        {
            0 => RequestKind.Choice,
            1 => RequestKind.Rating,
            _ => RequestKind.Outcome,
        };
    }
}

/// <summary>
/// Shortlists the mixed traffic writes against, kept from real match responses: open ones (no
/// choice yet) are taken by exactly one choice request, so no shortlist is ever chosen twice;
/// chosen ones receive alliance ratings and outcome events for the chosen therapist.
/// </summary>
public sealed class ShortlistPool
{
    private const int MaxKept = 20_000;
    private readonly Lock _gate = new();
    private readonly Queue<(Guid MatchId, string[] Therapists)> _open = new();
    private readonly List<(Guid MatchId, string TherapistId)> _chosen = [];
    private int _nextChosen;

    public int OpenCount
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }

    public void AddOpen(Guid matchId, string[] therapists)
    {
        lock (_gate)
        {
            if (_open.Count < MaxKept && therapists.Length > 0)
            {
                _open.Enqueue((matchId, therapists));
            }
        }
    }

    public bool TryTakeOpen(out (Guid MatchId, string[] Therapists) shortlist)
    {
        lock (_gate)
        {
            return _open.TryDequeue(out shortlist);
        }
    }

    public void AddChosen(Guid matchId, string therapistId)
    {
        lock (_gate)
        {
            if (_chosen.Count < MaxKept)
            {
                _chosen.Add((matchId, therapistId));
            }
            else
            {
                _chosen[_nextChosen++ % MaxKept] = (matchId, therapistId);
            }
        }
    }

    public bool TryPickChosen(Random rng, out (Guid MatchId, string TherapistId) chosen)
    {
        lock (_gate)
        {
            if (_chosen.Count == 0)
            {
                chosen = default;
                return false;
            }

            chosen = _chosen[rng.Next(_chosen.Count)];
            return true;
        }
    }
}

/// <summary>Sends the harness's requests to one system and classifies the answers.</summary>
public sealed class Traffic : IDisposable
{
    public const string DirectoryKey = "demo-directory-key-0001";
    public const string IntakeKey = "demo-intake-key-0002";

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly byte[] _matchBody;
    private readonly JsonObject _ratingTemplate;
    private readonly JsonObject _outcomeTemplate;
    private readonly TimeSpan _requestTimeout;
    private long _substituted;

    public Traffic(Uri baseAddress, byte[] matchBody, JsonObject ratingTemplate, JsonObject outcomeTemplate, int maxConnections, TimeSpan requestTimeout)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan, // each request has its own timeout, below
        };
        _matchBody = matchBody;
        _ratingTemplate = ratingTemplate;
        _outcomeTemplate = outcomeTemplate;
        _requestTimeout = requestTimeout;
    }

    public ShortlistPool Pool { get; } = new();

    /// <summary>Writes that found nothing to write against and were sent as another kind (a match, or a choice instead of a rating).</summary>
    public long Substituted => Interlocked.Read(ref _substituted);

    /// <summary>
    /// Sends one request of the planned kind (or the nearest possible one when the pool has no
    /// shortlist for it) and returns its sample; latency runs from <paramref name="since"/> (a
    /// <see cref="Stopwatch"/> timestamp: the scheduled time in open loop) to the last byte read.
    /// </summary>
    public async Task<Sample> SendAsync(RequestKind planned, long since, bool keepShortlists, CancellationToken abort)
    {
        using var request = Build(planned, out var kind, out var target);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abort);
        timeout.CancelAfter(_requestTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (kind == RequestKind.Match && keepShortlists && response.IsSuccessStatusCode)
            {
                await KeepShortlistAsync(response, timeout.Token);
            }
            else
            {
                await response.Content.CopyToAsync(Stream.Null, timeout.Token);
            }

            if (kind == RequestKind.Choice && response.IsSuccessStatusCode)
            {
                Pool.AddChosen(target.MatchId, target.TherapistId);
            }

            return new Sample(kind, status, Elapsed(since));
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return new Sample(kind, Outcome.Unfinished, Elapsed(since));
        }
        catch (OperationCanceledException)
        {
            return new Sample(kind, Outcome.Timeout, Elapsed(since));
        }
        catch (HttpRequestException)
        {
            return new Sample(kind, Outcome.Failed, Elapsed(since));
        }
        catch (IOException)
        {
            return new Sample(kind, Outcome.Failed, Elapsed(since));
        }
    }

    public static double Elapsed(long since) => Stopwatch.GetElapsedTime(since).TotalMilliseconds;

    private HttpRequestMessage Build(RequestKind planned, out RequestKind kind, out (Guid MatchId, string TherapistId) target)
    {
        kind = planned;
        target = default;
        if (kind is RequestKind.Rating or RequestKind.Outcome && !Pool.TryPickChosen(Random.Shared, out target))
        {
            kind = RequestKind.Choice;
            Interlocked.Increment(ref _substituted);
        }

        if (kind == RequestKind.Choice)
        {
            if (Pool.TryTakeOpen(out var open))
            {
                target = (open.MatchId, open.Therapists[Random.Shared.Next(open.Therapists.Length)]);
            }
            else
            {
                kind = RequestKind.Match;
                if (planned == RequestKind.Choice)
                {
                    Interlocked.Increment(ref _substituted);
                }
            }
        }

        return kind switch
        {
            RequestKind.Match => Post("/v1/matches", DirectoryKey, _matchBody),
            RequestKind.Choice => Post($"/v1/matches/{target.MatchId}/choice", DirectoryKey,
                JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["therapistId"] = target.TherapistId })),
            RequestKind.Rating => Post("/v1/alliance-ratings", IntakeKey, Fill(_ratingTemplate, target)),
            _ => Post("/v1/outcome-events", IntakeKey, Fill(_outcomeTemplate, target)),
        };
    }

    private static byte[] Fill(JsonObject template, (Guid MatchId, string TherapistId) target)
    {
        var body = (JsonObject)template.DeepClone();
        body["matchId"] = target.MatchId.ToString();
        body["therapistId"] = target.TherapistId;
        return JsonSerializer.SerializeToUtf8Bytes(body);
    }

    private static HttpRequestMessage Post(string path, string key, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        return request;
    }

    private async Task KeepShortlistAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var json = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
        var root = json.RootElement;
        if (root.TryGetProperty("matchId", out var id) && id.TryGetGuid(out var matchId) && root.TryGetProperty("therapists", out var list))
        {
            Pool.AddOpen(matchId, [.. list.EnumerateArray().Select(t => t.GetProperty("therapistId").GetString() ?? "")]);
        }
    }

    public void Dispose() => _http.Dispose();
}
