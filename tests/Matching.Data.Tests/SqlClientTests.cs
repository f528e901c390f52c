using System.Net;
using System.Net.Sockets;
using Microsoft.Data.SqlClient;

namespace Matching.Data.Tests;

/// <summary>SqlClient 7 in this process, without a server: what fails is the network, not the runtime.</summary>
public sealed class SqlClientTests
{
    [Test]
    public void A_connection_to_a_closed_port_fails_with_a_sql_exception_not_for_globalization()
    {
        // A loopback port nothing listens on.
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var connectionString = new SqlConnectionStringBuilder
        {
            DataSource = $"tcp:127.0.0.1,{port}",
            InitialCatalog = "matching",
            UserID = "sa",
            Password = "not-used-here-1",
            ConnectTimeout = 3,
            ConnectRetryCount = 0,
            Encrypt = SqlConnectionEncryptOption.Optional,
        }.ConnectionString;

        // In globalization-invariant mode SqlClient throws NotSupportedException before it
        // connects; with ICU it reaches the network and reports the refused connection.
        Assert.That(async () => await new MatchingDatabase(new DatabaseOptions { Engine = DatabaseEngine.SqlServer, ConnectionString = connectionString, MaxRetries = 0 })
            .RunAsync((c, ct) => Task.FromResult(c.State), default), Throws.InstanceOf<SqlException>());
    }
}
