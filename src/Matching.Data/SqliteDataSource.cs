using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Matching.Data;

/// <summary>
/// The SQLite data source: every connection it hands out, however it is opened, has
/// <c>secure_delete</c> on, so SQLite overwrites deleted rows, index entries, overflow pages and
/// freed pages with zeros instead of leaving them readable in free space. Erasure depends on it;
/// the cost is writing the zeros, paid only by deletes.
/// </summary>
internal sealed class SqliteDataSource(string connectionString) : DbDataSource
{
    /// <inheritdoc />
    public override string ConnectionString => connectionString;

    /// <inheritdoc />
    protected override DbConnection CreateDbConnection() => new SecureDeleteConnection(connectionString);

    // secure_delete is a property of the connection handle, not of the file: a pooled handle
    // keeps it, but setting it on every open costs one prepared statement and covers a handle
    // that some other code reset.
    private sealed class SecureDeleteConnection(string connectionString) : SqliteConnection(connectionString)
    {
        public override void Open()
        {
            base.Open();
            using var command = CreateCommand();
            command.CommandText = "PRAGMA secure_delete = ON";
            command.ExecuteNonQuery();
        }
    }
}
