using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Matching.LoadTest;

/// <summary>Cumulative runtime counters of the server at one collection.</summary>
/// <param name="AllocatedBytes"><c>dotnet.gc.heap.total_allocated</c>: bytes allocated on the managed heap since start.</param>
/// <param name="Gen0">Gen 0 collections since start (<c>dotnet.gc.collections</c>, <c>gc.heap.generation=gen0</c>).</param>
/// <param name="Gen1">Gen 1 collections since start.</param>
/// <param name="Gen2">Gen 2 collections since start.</param>
/// <param name="PauseSeconds"><c>dotnet.gc.pause.time</c>: total time the GC paused the process since start.</param>
public sealed record CounterSample(double AllocatedBytes, double Gen0, double Gen1, double Gen2, double PauseSeconds);

/// <summary>
/// Reads the server's own <c>System.Runtime</c> meter out of process, over the diagnostics IPC
/// channel: an EventPipe session on the <c>System.Diagnostics.Metrics</c> provider (what
/// dotnet-counters and dotnet-monitor enable) with that meter listed. Since .NET 8 each published
/// counter carries its cumulative <c>value</c> (beside the <c>rate</c> since the previous
/// collection), so one collection is a complete reading: the session is opened, its first
/// collection is read, and it is closed again. A phase is bracketed by one reading before and one
/// after, taken while the server is idle, so no session runs (and costs the server CPU) while
/// the phase is measured.
/// </summary>
public static class RuntimeCounters
{
    private const string MetricsProvider = "System.Diagnostics.Metrics";
    private const long TimeSeriesValues = 0x2;

    /// <summary>One reading, or null (with the reason printed) when the runtime does not answer in time or publishes no cumulative values.</summary>
    public static async Task<CounterSample?> ReadAsync(int pid, TimeSpan timeout)
    {
        var sessionId = Guid.NewGuid().ToString();
        var provider = new EventPipeProvider(MetricsProvider, EventLevel.Informational, TimeSeriesValues, new Dictionary<string, string>
        {
            ["SessionId"] = sessionId,
            ["Metrics"] = "System.Runtime",
            ["RefreshInterval"] = "0.2",
            ["MaxTimeSeries"] = "1000",
            ["MaxHistograms"] = "10",
        });
        EventPipeSession session;
        try
        {
            session = await new DiagnosticsClient(pid).StartEventPipeSessionAsync([provider], requestRundown: false, token: CancellationToken.None);
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or ServerErrorException or IOException or TimeoutException)
        {
            Console.WriteLine($"  runtime counters unavailable for pid {pid}: {e.GetType().Name}: {e.Message}");
            return null;
        }

        using (session)
        {
            var reading = new Reading(sessionId);
            using var source = new EventPipeEventSource(session.EventStream);
            source.Dynamic.All += reading.OnEvent;
            var processing = Task.Run(() =>
            {
                try
                {
                    source.Process();
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or EndOfStreamException)
                {
                    // The stream ended: the session was stopped or the server exited.
                }
            });
            var sample = await Task.WhenAny(reading.Done.Task, Task.Delay(timeout)) == reading.Done.Task ? await reading.Done.Task : null;
            try
            {
                await session.StopAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is ServerNotAvailableException or IOException or TimeoutException or ServerErrorException)
            {
                // The server is gone; nothing to stop.
            }

            await Task.WhenAny(processing, Task.Delay(TimeSpan.FromSeconds(5)));
            if (sample is null)
            {
                Console.WriteLine($"  runtime counters: no complete collection from pid {pid} within {timeout.TotalSeconds:0} s");
            }

            return sample;
        }
    }

    /// <summary>Collects the values of one collection; complete at its <c>Collection/Stop</c> event.</summary>
    private sealed class Reading(string sessionId)
    {
        private double? _allocated, _gen0, _gen1, _gen2, _pause;

        public TaskCompletionSource<CounterSample?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnEvent(TraceEvent e)
        {
            if (e.ProviderName != MetricsProvider || (string?)e.PayloadByName("sessionId") != sessionId)
            {
                return;
            }

            if (e.EventName == "CounterRateValuePublished")
            {
                var value = e.PayloadNames.Contains("value") && double.TryParse((string?)e.PayloadByName("value"), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : (double?)null;
                var tags = (string?)e.PayloadByName("tags") ?? "";
                switch ((string?)e.PayloadByName("instrumentName"))
                {
                    case "dotnet.gc.heap.total_allocated":
                        _allocated = value;
                        break;
                    case "dotnet.gc.pause.time":
                        _pause = value;
                        break;
                    case "dotnet.gc.collections" when tags.Contains("gen0", StringComparison.Ordinal):
                        _gen0 = value;
                        break;
                    case "dotnet.gc.collections" when tags.Contains("gen1", StringComparison.Ordinal):
                        _gen1 = value;
                        break;
                    case "dotnet.gc.collections" when tags.Contains("gen2", StringComparison.Ordinal):
                        _gen2 = value;
                        break;
                }
            }
            else if (e.EventName == "Collection/Stop" && _allocated is { } allocated)
            {
                Done.TrySetResult(new CounterSample(allocated, _gen0 ?? 0, _gen1 ?? 0, _gen2 ?? 0, _pause ?? 0));
            }
        }
    }
}
