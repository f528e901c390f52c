using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Matching.Data;

/// <summary>
/// The SQLite data source: every connection it hands out, however it is opened, has
/// <c>secure_delete</c> on, so SQLite overwrites deleted rows, index entries, overflow pages and
/// freed pages with zeros instead of leaving them readable in free space. Erasure depends on it;
/// the cost is writing the zeros, paid only by deletes. When the writer's background checkpoint
/// is on, every connection also raises <c>wal_autocheckpoint</c> to the backstop given, so that
/// no commit copies the log into the database file in the usual case.
/// </summary>
internal sealed class SqliteDataSource(string connectionString, int? autoCheckpointPages = null) : DbDataSource
{
    /// <inheritdoc />
    public override string ConnectionString => connectionString;

    /// <inheritdoc />
    protected override DbConnection CreateDbConnection() => new SecureDeleteConnection(connectionString, Pragmas);

    private string Pragmas { get; } = autoCheckpointPages is { } pages
        ? $"PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = {pages.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        : "PRAGMA secure_delete = ON";

    // secure_delete and wal_autocheckpoint are properties of the connection handle, not of the
    // file: a pooled handle keeps them, but setting them on every open costs one command and
    // covers a handle that some other code reset.
    private sealed class SecureDeleteConnection(string connectionString, string pragmas) : SqliteConnection(connectionString)
    {
        public override void Open()
        {
            base.Open();
            using var command = CreateCommand();
            command.CommandText = pragmas;
            command.ExecuteNonQuery();
        }
    }
}
