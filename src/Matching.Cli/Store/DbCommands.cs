using System.CommandLine;
using Matching.Data;
using Spectre.Console;

namespace Matching.Cli.Store;

/// <summary><c>matching db migrate|status</c>: the explicit schema step for SQL Server (SQLite migrates itself).</summary>
internal static class DbCommands
{
    public static Command Create(IAnsiConsole console)
    {
        var db = new Command("db", "Database schema: apply or list migrations.");
        db.Subcommands.Add(Migrate(console));
        db.Subcommands.Add(Status(console));
        return db;
    }

    private static Command Migrate(IAnsiConsole console)
    {
        var options = new DatabaseOptionsBinding();
        var command = new Command("migrate", "Apply pending migrations, each in a transaction, recorded in schema_journal.");
        options.AddTo(command);
        var create = new Option<bool>("--create-database")
        {
            Description = "SQL Server: create the database the connection string names if it does not exist (the login needs CREATE DATABASE).",
        };
        command.Options.Add(create);
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(create) && parse.GetValue(options.Engine) == DatabaseEngine.SqlServer
                && await Migrator.CreateSqlServerDatabaseIfMissingAsync(parse.GetValue(options.Connection)!, ct))
            {
                console.MarkupLine("created the database");
            }

            await using var database = new MatchingDatabase(new DatabaseOptions { Engine = parse.GetValue(options.Engine), ConnectionString = parse.GetValue(options.Connection) });
            var applied = await new Migrator(database).ApplyAsync(TimeProvider.System, ct);
            foreach (var m in applied)
            {
                console.MarkupLineInterpolated($"applied [green]{m.Number}[/] {m.Name}");
            }

            console.MarkupLineInterpolated($"{database.Engine}: {applied.Count} migration(s) applied, schema up to date.");
            return 0;
        });
        return command;
    }

    private static Command Status(IAnsiConsole console)
    {
        var options = new DatabaseOptionsBinding();
        var command = new Command("status", "List migrations and whether each is applied.");
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (options.MissingSqliteFile(parse) is { } missing)
            {
                console.MarkupLineInterpolated($"[red]No database at {missing}.[/]");
                return 2;
            }

            await using var database = new MatchingDatabase(new DatabaseOptions { Engine = parse.GetValue(options.Engine), ConnectionString = parse.GetValue(options.Connection) });
            var migrator = new Migrator(database);
            var applied = await migrator.AppliedAsync(ct);
            foreach (var m in migrator.Migrations)
            {
                console.MarkupLineInterpolated($"{m.Number,4} {m.Name,-30} {(applied.Contains(m.Number) ? "applied" : "pending")}");
            }

            return migrator.Migrations.All(m => applied.Contains(m.Number)) ? 0 : 3;
        });
        return command;
    }
}
