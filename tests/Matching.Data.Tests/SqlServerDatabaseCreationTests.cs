using Dapper;
using Microsoft.Data.SqlClient;

namespace Matching.Data.Tests;

/// <summary><see cref="Migrator.CreateSqlServerDatabaseIfMissingAsync"/>, which `matching db migrate --create-database` (compose) runs.</summary>
[TestFixture]
public sealed class SqlServerDatabaseCreationTests() : DatabaseTest(DatabaseEngine.SqlServer)
{
    protected override bool Migrate => false;

    [Test]
    public async Task A_missing_database_is_created_once_and_then_left_alone()
    {
        var name = $"matching_test_create_{Guid.NewGuid():N}";
        var target = new SqlConnectionStringBuilder(SqlServerConnectionString) { InitialCatalog = name }.ConnectionString;
        try
        {
            var first = await Migrator.CreateSqlServerDatabaseIfMissingAsync(target);
            var second = await Migrator.CreateSqlServerDatabaseIfMissingAsync(target);

            Assert.Multiple(() =>
            {
                Assert.That(first, Is.True);
                Assert.That(second, Is.False);
            });
            await using var connection = new SqlConnection(target);
            Assert.That(await connection.ExecuteScalarAsync<string>("SELECT DB_NAME()"), Is.EqualTo(name));
        }
        finally
        {
            SqlConnection.ClearAllPools();
            await using var master = new SqlConnection(new SqlConnectionStringBuilder(SqlServerConnectionString) { InitialCatalog = "master" }.ConnectionString);
            await master.ExecuteAsync($"IF DB_ID('{name}') IS NOT NULL DROP DATABASE [{name}]");
        }
    }
}
