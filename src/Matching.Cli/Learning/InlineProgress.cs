namespace Matching.Cli.Learning;

/// <summary>
/// Reports progress on the reporting thread, in order. <see cref="Progress{T}"/> posts each report
/// to the synchronization context or the thread pool, so a late report of an earlier stage can
/// arrive after the command has finished its progress display (and restart a stopped task).
/// </summary>
internal sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
{
    private readonly Lock _gate = new();

    public void Report(T value)
    {
        lock (_gate)
        {
            handler(value);
        }
    }
}
