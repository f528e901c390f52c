using System.CommandLine;
using Matching.Data;

namespace Matching.Cli.Store;

/// <summary>
/// <c>--engine</c> and <c>--connection</c>, shared by every command that uses the database.
/// Defaults are the API's, from the same settings: <c>Matching__Database__Engine</c>,
/// <c>Matching__Database__ConnectionString</c>, else the SQLite file <c>matching.db</c> under
/// <c>Matching__Database__DataFolder</c> (<see cref="DatabaseOptions.DataFolder"/>'s default,
/// <c>data</c>), resolved from the folder the command runs in, as the API resolves it.
/// </summary>
internal sealed class DatabaseOptionsBinding
{
    public Option<DatabaseEngine> Engine { get; } = new("--engine")
    {
        Description = "Database engine: Sqlite or SqlServer.",
        DefaultValueFactory = _ => Enum.TryParse<DatabaseEngine>(Environment.GetEnvironmentVariable("Matching__Database__Engine"), true, out var e) ? e : DatabaseEngine.Sqlite,
    };

    public Option<string> Connection { get; } = new("--connection")
    {
        Description = "Connection string (SQLite: Data Source=FILE).",
        DefaultValueFactory = _ => DefaultConnection(Environment.GetEnvironmentVariable),
    };

    /// <summary>The connection string the API would use with the same environment.</summary>
    public static string DefaultConnection(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("Matching__Database__ConnectionString") is { Length: > 0 } connection)
        {
            return connection;
        }

        var folder = environment("Matching__Database__DataFolder") is { Length: > 0 } configured ? configured : new DatabaseOptions().DataFolder;
        return $"Data Source={DatabaseOptions.SqliteFile(folder)}";
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Engine);
        command.Options.Add(Connection);
    }

    /// <summary>
    /// A SQLite connection string naming a file that does not exist, or null. Commands that read
    /// history refuse it rather than silently creating an empty database at a mistyped path.
    /// </summary>
    public string? MissingSqliteFile(ParseResult parse)
    {
        if (parse.GetValue(Engine) != DatabaseEngine.Sqlite)
        {
            return null;
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(parse.GetValue(Connection)).DataSource;
        return file is { Length: > 0 } && file != ":memory:" && !File.Exists(file) ? Path.GetFullPath(file) : null;
    }

    /// <summary>The database; SQLite is migrated on open (as the API does), SQL Server only by <c>db migrate</c>.</summary>
    public async Task<MatchingDatabase> OpenAsync(ParseResult parse, CancellationToken ct)
    {
        var db = new MatchingDatabase(new DatabaseOptions { Engine = parse.GetValue(Engine), ConnectionString = parse.GetValue(Connection) });
        if (db.MigrateOnStart)
        {
            await new Migrator(db).ApplyAsync(TimeProvider.System, ct);
        }

        return db;
    }
}
