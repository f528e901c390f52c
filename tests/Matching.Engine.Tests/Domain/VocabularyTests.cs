using Matching.Engine.Domain;

namespace Matching.Engine.Tests.Domain;

public class VocabularyTests
{
    [TestCase("us-ny")]
    [TestCase("lgbtq")]
    [TestCase("a")]
    [TestCase("7")]
    [TestCase("latin-american")]
    [TestCase("a1-b2-c3")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 40 characters
    public void Valid_tags(string tag)
    {
        Assert.That(Vocabulary.IsValidTag(tag), Is.True);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 41 characters
    [TestCase("US-NY")]
    [TestCase("-us")]
    [TestCase("us-")]
    [TestCase("-")]
    [TestCase("us ny")]
    [TestCase("us_ny")]
    [TestCase("café")]
    [TestCase("i am from somewhere")]
    [TestCase("a\nb")]
    public void Invalid_tags(string? tag)
    {
        Assert.That(Vocabulary.IsValidTag(tag), Is.False);
    }

    [TestCase("en", true)]
    [TestCase("zz", true)]
    [TestCase("EN", false)]
    [TestCase("En", false)]
    [TestCase("e", false)]
    [TestCase("eng", false)]
    [TestCase("e1", false)]
    [TestCase("é1", false)]
    [TestCase("", false)]
    [TestCase(null, false)]
    public void Languages_are_two_lower_case_letters(string? code, bool valid)
    {
        Assert.That(Vocabulary.IsValidLanguage(code), Is.EqualTo(valid));
    }

    [TestCase(Importance.None, 0.0)]
    [TestCase(Importance.Low, 1.0 / 3)]
    [TestCase(Importance.Medium, 2.0 / 3)]
    [TestCase(Importance.High, 1.0)]
    public void Importance_weights(Importance importance, double weight)
    {
        Assert.That(importance.Weight(), Is.EqualTo(weight).Within(1e-12));
    }
}
