using Matching.Engine.Learning;

namespace Matching.Engine.Tests.Learning;

[TestFixture]
public sealed class AllianceLabelTests
{
    [TestCase(0.0, 1)]
    [TestCase(0.30, 1)]
    [TestCase(0.5499, 1)]
    [TestCase(0.55, 2)]
    [TestCase(0.6999, 2)]
    [TestCase(0.70, 3)]
    [TestCase(0.8499, 3)]
    [TestCase(0.85, 4)]
    [TestCase(1.0, 4)]
    public void A_rating_without_dropout_or_rematch_is_graded_by_the_cut_points(double alliance, int grade)
    {
        var pair = Pairs.Pair(1, alliance: alliance);

        Assert.That(AllianceLabel.Grade(pair), Is.EqualTo(grade));
    }

    [TestCase(0.0, 1)]
    [TestCase(0.5499, 1)]
    [TestCase(0.55, 1)]
    [TestCase(0.6999, 1)]
    [TestCase(0.70, 2)]
    [TestCase(0.8499, 2)]
    [TestCase(0.85, 3)]
    [TestCase(1.0, 3)]
    public void A_rated_match_that_ended_in_dropout_loses_one_grade_but_not_below_one(double alliance, int grade)
    {
        var pair = Pairs.Pair(1, alliance: alliance, dropoutSession: 5);

        Assert.That(AllianceLabel.Grade(pair), Is.EqualTo(grade));
    }

    [TestCase(0.5499, 1)]
    [TestCase(0.70, 2)]
    [TestCase(0.85, 3)]
    public void A_rated_match_that_ended_in_rematch_loses_one_grade_but_not_below_one(double alliance, int grade)
    {
        var pair = Pairs.Pair(1, alliance: alliance, rematched: true);

        Assert.That(AllianceLabel.Grade(pair), Is.EqualTo(grade));
    }

    [Test]
    public void Dropout_and_rematch_together_cost_one_grade_not_two()
    {
        var pair = Pairs.Pair(1, alliance: 0.9, dropoutSession: 4, rematched: true);

        Assert.That(AllianceLabel.Grade(pair), Is.EqualTo(3));
    }

    [TestCase(1, false)]
    [TestCase(2, false)]
    [TestCase(null, true)]
    [TestCase(1, true)]
    public void No_rating_but_a_dropout_or_rematch_is_grade_zero(int? dropoutSession, bool rematched)
    {
        var pair = Pairs.Pair(1, alliance: null, dropoutSession: dropoutSession, rematched: rematched);

        Assert.That(AllianceLabel.Grade(pair), Is.Zero);
    }

    [Test]
    public void No_rating_and_no_dropout_is_unlabeled()
    {
        Assert.That(AllianceLabel.Grade(Pairs.Unlabeled(1)), Is.Null);
    }

    [Test]
    public void Grades_span_zero_to_the_maximum()
    {
        var grades = new[]
        {
            Pairs.Pair(1, alliance: null, dropoutSession: 1),
            Pairs.Pair(2, alliance: 0.1),
            Pairs.Pair(3, alliance: 0.6),
            Pairs.Pair(4, alliance: 0.75),
            Pairs.Pair(5, alliance: 0.95),
        }.Select(AllianceLabel.Grade);

        Assert.That(grades, Is.EqualTo(new int?[] { 0, 1, 2, 3, AllianceLabel.MaxGrade }));
    }

    [Test]
    public void The_cut_points_are_those_documented()
    {
        Assert.That(AllianceLabel.CutPoints, Is.EqualTo(new[] { 0.55, 0.70, 0.85 }));
    }

    [Test]
    public void A_null_pair_is_refused()
    {
        Assert.That(() => AllianceLabel.Grade(null!), Throws.ArgumentNullException);
    }
}
