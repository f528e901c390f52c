using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

public class LetorTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"letor-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Reads_rows_labels_and_query_file()
    {
        var data = Read("""
            2 1:0.5 3:1.25 # a comment
            0 2:-1

            1 qid:9 1:3e-1
            """, "2\n1\n");

        Assert.That(data.Rows, Is.EqualTo(3));
        Assert.That(data.FeatureCount, Is.EqualTo(4), "indices are columns: 0..3");
        Assert.That(data.Labels, Is.EqualTo(new[] { 2f, 0f, 1f }));
        Assert.That(data.QueryBoundaries, Is.EqualTo(new[] { 0, 2, 3 }));
        Assert.That(data.Row(0).ToArray(), Is.EqualTo(new[] { 0f, 0.5f, 0f, 1.25f }));
        Assert.That(data.Row(1).ToArray(), Is.EqualTo(new[] { 0f, 0f, -1f, 0f }));
        Assert.That(data.Row(2).ToArray(), Is.EqualTo(new[] { 0f, 0.3f, 0f, 0f }));
        Assert.That(data.FeatureNames, Is.EqualTo(new[] { "f0", "f1", "f2", "f3" }));
    }

    [Test]
    public void Zero_based_indices_use_column_zero()
    {
        var data = Read("1 0:7 1:8\n0 0:1\n");

        Assert.That(data.FeatureCount, Is.EqualTo(2));
        Assert.That(data.Row(0).ToArray(), Is.EqualTo(new[] { 7f, 8f }));
    }

    [Test]
    public void Without_a_query_file_consecutive_qids_form_queries()
    {
        var data = Read("1 qid:a 1:1\n0 qid:a 1:2\n2 qid:b 1:3\n0 qid:a 1:4\n");

        Assert.That(data.QueryBoundaries, Is.EqualTo(new[] { 0, 2, 3, 4 }));
    }

    [Test]
    public void Without_qids_or_query_file_the_file_is_one_query()
    {
        Assert.That(Read("1 1:1\n0 1:2\n").QueryBoundaries, Is.EqualTo(new[] { 0, 2 }));
    }

    [Test]
    public void Fixed_feature_count_drops_unknown_indices()
    {
        var data = Letor.Read(Write("rows.txt", "1 1:1 9:5\n"), featureCount: 3);

        Assert.That(data.FeatureCount, Is.EqualTo(3));
        Assert.That(data.Row(0).ToArray(), Is.EqualTo(new[] { 0f, 1f, 0f }));
    }

    [TestCase("1 1:0.5\n0 2:x\n", 2, "bad token '2:x'")]
    [TestCase("1 1:0.5\n0 abc\n", 2, "bad token 'abc'")]
    [TestCase("1 1:0.5\n\n# only a comment\nlabel 1:2\n", 4, "bad label 'label'")]
    [TestCase("-1 1:0.5\n", 1, "bad label")]
    [TestCase("1 -3:0.5\n", 1, "feature index")]
    public void Bad_data_lines_name_the_file_and_line(string text, int line, string problem)
    {
        var path = Write("bad.txt", text);

        var error = Assert.Throws<LetorFormatException>(() => Letor.Read(path));

        Assert.That(error.FilePath, Is.EqualTo(path));
        Assert.That(error.LineNumber, Is.EqualTo(line));
        Assert.That(error.Message, Does.StartWith($"{path}:{line}:").And.Contains(problem));
    }

    [Test]
    public void Group_sizes_exceeding_the_rows_name_the_query_file_line()
    {
        var data = Write("rows.txt", "1 1:1\n0 1:2\n1 1:3\n");
        var query = Write("rows.txt.query", "2\n2\n");

        var error = Assert.Throws<LetorFormatException>(() => Letor.Read(data, query));

        Assert.That(error.FilePath, Is.EqualTo(query));
        Assert.That(error.LineNumber, Is.EqualTo(2));
        Assert.That(error.Message, Does.Contain("add up to 4").And.Contain("3 rows"));
    }

    [Test]
    public void Group_sizes_short_of_the_rows_are_rejected()
    {
        var data = Write("rows.txt", "1 1:1\n0 1:2\n1 1:3\n");
        var query = Write("rows.txt.query", "2\n");

        var error = Assert.Throws<LetorFormatException>(() => Letor.Read(data, query));

        Assert.That(error.Message, Does.StartWith($"{query}:1:").And.Contain("add up to 2, but"));
    }

    [Test]
    public void Bad_group_size_is_rejected()
    {
        var data = Write("rows.txt", "1 1:1\n");
        var query = Write("rows.txt.query", "1\nzero\n");

        var error = Assert.Throws<LetorFormatException>(() => Letor.Read(data, query));

        Assert.That(error.LineNumber, Is.EqualTo(2));
        Assert.That(error.Message, Does.Contain("bad group size 'zero'"));
    }

    private RankingDataset Read(string text, string? groups = null)
        => Letor.Read(Write("rows.txt", text), groups is null ? null : Write("rows.txt.query", groups));

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
