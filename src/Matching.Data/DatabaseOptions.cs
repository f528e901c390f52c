namespace Matching.Data;

/// <summary>The database engines the service runs on.</summary>
public enum DatabaseEngine
{
    /// <summary>Embedded SQLite file: the default, for a single node, development and tests.</summary>
    Sqlite,
    /// <summary>SQL Server: production, shared by every API replica.</summary>
    SqlServer,
}

/// <summary>Database settings, bound from <c>Matching:Database</c>.</summary>
public sealed class DatabaseOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Matching:Database";

    /// <summary>Engine; default SQLite.</summary>
    public DatabaseEngine Engine { get; set; } = DatabaseEngine.Sqlite;

    /// <summary>
    /// Connection string. For SQLite, when empty, a file <c>matching.db</c> under
    /// <see cref="DataFolder"/>. Required for SQL Server.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Folder for the SQLite file; default <c>data</c> under the working directory. In
    /// Development the API sets <c>../../data</c> (see appsettings.Development.json): <c>dotnet
    /// run</c> starts it in its project folder, and the repository's <c>data/</c> is where the
    /// CLI, run from the repository root, looks by default.
    /// </summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>The SQLite file the service uses in <paramref name="dataFolder"/> when no connection string is given.</summary>
    public static string SqliteFile(string dataFolder) => Path.Combine(dataFolder, "matching.db");

    /// <summary>
    /// Apply pending migrations at start. Default true for SQLite; SQL Server migrations are
    /// applied by an explicit <c>matching db migrate</c> so that replicas never race a schema change.
    /// </summary>
    public bool? MigrateOnStart { get; set; }

    /// <summary>Retries of a transient error (SQLite busy/locked, SQL Server transient numbers); default 4.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>First retry delay; doubled each retry with jitter. Default 50 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// SQLite only: the most write units one group commit carries (one transaction, one fsync);
    /// at least 1. Default 256: enough for a burst of concurrent matches to share one commit, while
    /// one batch still holds the write lock only briefly against another process (the CLI) and
    /// keeps its first caller waiting for few others. 1 gives one transaction per write (the
    /// behaviour before group commit). SQL Server ignores it.
    /// </summary>
    public int GroupCommitMaxBatch { get; set; } = 256;

    /// <summary>
    /// SQLite only: how long an erasure keeps trying to truncate the write-ahead log while readers
    /// still use it (each try returns at once; they back off from 5 ms to 250 ms). Default 10 s:
    /// longer than any read of the API, shorter than a client's patience. When it runs out the
    /// rows are deleted but older page images may remain in the log, and the erasure says so.
    /// </summary>
    public TimeSpan CheckpointPatience { get; set; } = TimeSpan.FromSeconds(10);
}
