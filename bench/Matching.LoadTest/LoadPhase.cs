using System.Diagnostics;

namespace Matching.LoadTest;

/// <summary>Bounds on one phase, so an overloaded server cannot make the harness run on or grow without limit.</summary>
/// <param name="MaxInFlight">Open loop: most requests outstanding at once (and connections); more wait in a client-side backlog.</param>
/// <param name="MaxBacklog">Open loop: how long a backlog may grow, as a time's worth of arrivals at the phase's rate; arrivals beyond it are dropped and counted.</param>
/// <param name="Drain">After the last scheduled send (open loop) or the phase's end (closed loop), how long outstanding requests may take before they are cancelled and counted as unfinished.</param>
/// <param name="RequestTimeout">Longest a single request may take once sent.</param>
public sealed record LoadLimits(int MaxInFlight, TimeSpan MaxBacklog, TimeSpan Drain, TimeSpan RequestTimeout);

/// <summary>Every request of a phase and how long the phase ran.</summary>
/// <param name="Samples">One per scheduled (open loop) or sent (closed loop) request.</param>
/// <param name="Seconds">From the first send to the last answer (or the drain deadline).</param>
/// <param name="Queued">Open loop: requests that waited in the client's backlog for a free connection (their latency includes the wait).</param>
/// <param name="MaxDispatchLagMs">Open loop: how far behind schedule the dispatcher itself fell (the generator's own starvation; latencies still count from the schedule).</param>
/// <param name="Substituted">Writes sent as another kind because no shortlist was there for them.</param>
public sealed record RawPhase(IReadOnlyList<Sample> Samples, double Seconds, int Queued, double MaxDispatchLagMs, long Substituted);

/// <summary>The two load shapes.</summary>
public static class LoadPhase
{
    /// <summary>
    /// Open loop: request i is due at start + i/rate whatever happened to the earlier ones, and
    /// its latency runs from that due time, so time spent queued behind a slow server (in the
    /// client's backlog, a connection or the server) is measured rather than omitted.
    /// </summary>
    public static async Task<RawPhase> OpenLoopAsync(Traffic traffic, TrafficMix mix, double rate, TimeSpan duration, LoadLimits limits, int seed, CancellationToken ct)
    {
        var count = Math.Max(1, (int)Math.Round(rate * duration.TotalSeconds));
        var samples = new Sample[count];
        var rng = new Random(seed);
        var plan = Enumerable.Range(0, count).Select(_ => mix.Plan(rng)).ToArray();
        var maxBacklog = Math.Max(1, (int)(rate * limits.MaxBacklog.TotalSeconds));
        using var slots = new SemaphoreSlim(limits.MaxInFlight);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var waiting = 0;
        var queued = 0;
        var substitutedBefore = traffic.Substituted;
        var tasks = new List<Task>(count);
        var start = Stopwatch.GetTimestamp();
        var maxLag = 0.0;

        async Task SendOne(int i, long due)
        {
            try
            {
                if (!slots.Wait(0))
                {
                    Interlocked.Increment(ref queued);
                    await slots.WaitAsync(abort.Token);
                }
            }
            catch (OperationCanceledException)
            {
                samples[i] = new Sample(plan[i], Outcome.Unfinished, Traffic.Elapsed(due));
                return;
            }
            finally
            {
                Interlocked.Decrement(ref waiting);
            }

            try
            {
                samples[i] = await traffic.SendAsync(plan[i], due, mix.HasWrites, abort.Token);
            }
            finally
            {
                slots.Release();
            }
        }

        var dropped = new List<(int Index, long Due)>();
        for (var i = 0; i < count && !ct.IsCancellationRequested; i++)
        {
            var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            // Timers may fire a little early; a request is never sent before it is due.
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.Yield();
            }

            maxLag = Math.Max(maxLag, Traffic.Elapsed(due));
            if (Volatile.Read(ref waiting) >= maxBacklog)
            {
                dropped.Add((i, due));
                continue;
            }

            Interlocked.Increment(ref waiting);
            tasks.Add(SendOne(i, due));
        }

        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(limits.Drain, CancellationToken.None)) != all)
        {
            await abort.CancelAsync();
        }

        await all;
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        foreach (var (index, due) in dropped)
        {
            // Never answered: a lower bound on what it would have waited.
            samples[index] = new Sample(plan[index], Outcome.Dropped, Traffic.Elapsed(due));
        }

        return new RawPhase(samples, Math.Max(seconds, duration.TotalSeconds), queued, maxLag, traffic.Substituted - substitutedBefore);
    }

    /// <summary>Closed loop: <paramref name="connections"/> workers, each sending its next request when the last one is answered, until the phase ends.</summary>
    public static async Task<RawPhase> ClosedLoopAsync(Traffic traffic, TrafficMix mix, int connections, TimeSpan duration, LoadLimits limits, int seed, CancellationToken ct)
    {
        // Generous bound on requests per worker, so even a trivial server cannot make a list grow without limit.
        var maxPerWorker = (int)Math.Min(2_000_000 / connections, 50_000 * duration.TotalSeconds);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        abort.CancelAfter(duration + limits.Drain);
        var substitutedBefore = traffic.Substituted;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        async Task<List<Sample>> Worker(int w)
        {
            var rng = new Random(seed + w);
            var samples = new List<Sample>();
            while (Stopwatch.GetTimestamp() < end && samples.Count < maxPerWorker && !abort.IsCancellationRequested)
            {
                samples.Add(await traffic.SendAsync(mix.Plan(rng), Stopwatch.GetTimestamp(), mix.HasWrites, abort.Token));
            }

            return samples;
        }

        var results = await Task.WhenAll(Enumerable.Range(0, connections).Select(w => Task.Run(() => Worker(w), CancellationToken.None)));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new RawPhase([.. results.SelectMany(r => r)], seconds, 0, 0, traffic.Substituted - substitutedBefore);
    }
}
