namespace Matching.Engine.Domain;

/// <summary>
/// Therapy approaches a therapist can offer and a client can prefer. A closed list: the
/// modalities with an evidence base and a recognisable name in directories. Serialised by name.
/// </summary>
public enum Modality
{
    /// <summary>Cognitive behavioural therapy.</summary>
    Cbt,
    /// <summary>Dialectical behaviour therapy.</summary>
    Dbt,
    /// <summary>Acceptance and commitment therapy.</summary>
    Act,
    /// <summary>Eye movement desensitisation and reprocessing.</summary>
    Emdr,
    /// <summary>Psychodynamic / psychoanalytic psychotherapy.</summary>
    Psychodynamic,
    /// <summary>Person-centred (Rogerian, humanistic) therapy.</summary>
    PersonCentred,
    /// <summary>Schema therapy.</summary>
    Schema,
    /// <summary>Family and systemic therapy.</summary>
    FamilySystemic,
    /// <summary>Interpersonal psychotherapy (IPT).</summary>
    Interpersonal,
    /// <summary>Mindfulness-based cognitive therapy and related mindfulness approaches.</summary>
    MindfulnessBased,
    /// <summary>Solution-focused brief therapy.</summary>
    SolutionFocused,
    /// <summary>Compassion-focused therapy.</summary>
    CompassionFocused,
    /// <summary>Narrative therapy.</summary>
    Narrative,
}

/// <summary>
/// What a client wants help with, and what a therapist specialises in. Also the problem
/// domains on which a therapist's track record is measured (as in the Match trial).
/// </summary>
public enum Goal
{
    /// <summary>Generalised or social anxiety.</summary>
    Anxiety,
    /// <summary>Panic attacks.</summary>
    Panic,
    /// <summary>Low mood and depression.</summary>
    Depression,
    /// <summary>Trauma and PTSD.</summary>
    Trauma,
    /// <summary>Grief and loss.</summary>
    Grief,
    /// <summary>Couple and relationship difficulties.</summary>
    Relationships,
    /// <summary>Self-esteem and self-worth.</summary>
    SelfEsteem,
    /// <summary>Work stress and burnout.</summary>
    WorkStress,
    /// <summary>Obsessive-compulsive difficulties.</summary>
    Ocd,
    /// <summary>Eating difficulties.</summary>
    Eating,
    /// <summary>Alcohol and substance use.</summary>
    SubstanceUse,
    /// <summary>Anger.</summary>
    Anger,
    /// <summary>Sleep problems.</summary>
    Sleep,
    /// <summary>Parenting and family life.</summary>
    Parenting,
    /// <summary>Identity, sexuality and gender.</summary>
    Identity,
    /// <summary>Life transitions and adjustment.</summary>
    LifeTransitions,
}

/// <summary>How therapy sessions take place.</summary>
public enum SessionFormat
{
    /// <summary>Either in person or by video.</summary>
    Either,
    /// <summary>In person only.</summary>
    InPerson,
    /// <summary>Video only.</summary>
    Video,
}

/// <summary>Therapist gender as the therapist lists it.</summary>
public enum Gender
{
    /// <summary>Woman.</summary>
    Woman,
    /// <summary>Man.</summary>
    Man,
    /// <summary>Non-binary.</summary>
    NonBinary,
}

/// <summary>Age groups a therapist serves; the client states one.</summary>
[Flags]
public enum AgeGroups
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>Children (under 13).</summary>
    Children = 1,
    /// <summary>Adolescents (13-17).</summary>
    Adolescents = 2,
    /// <summary>Adults (18-64).</summary>
    Adults = 4,
    /// <summary>Older adults (65+).</summary>
    OlderAdults = 8,
}

/// <summary>Times of the week with appointments free.</summary>
[Flags]
public enum Availability
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>Weekday daytime.</summary>
    WeekdayDaytime = 1,
    /// <summary>Weekday evenings.</summary>
    WeekdayEvening = 2,
    /// <summary>Weekends.</summary>
    Weekend = 4,
}

/// <summary>How much a client cares about a preference. <see cref="None"/> means it is not used at all.</summary>
public enum Importance
{
    /// <summary>Not used in matching.</summary>
    None = 0,
    /// <summary>Nice to have.</summary>
    Low = 1,
    /// <summary>Matters.</summary>
    Medium = 2,
    /// <summary>Matters a lot.</summary>
    High = 3,
}

/// <summary>Vocabulary helpers shared by validation and features.</summary>
public static class Vocabulary
{
    /// <summary>Weight in [0, 1] for an importance level: None 0, Low 1/3, Medium 2/3, High 1.</summary>
    public static double Weight(this Importance importance) => (int)importance / 3.0;

    /// <summary>
    /// A tag (cultural background, identity, faith, insurance payer, region, city) is a short
    /// lower-case slug: letters, digits and hyphens, 1-40 characters. Tags are a controlled
    /// vocabulary rather than free text so that nothing a person writes about themselves is
    /// stored or logged.
    /// </summary>
    public static bool IsValidTag(string? tag)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > 40)
        {
            return false;
        }

        foreach (var c in tag)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return tag[0] != '-' && tag[^1] != '-';
    }

    /// <summary>A language is an ISO 639-1 code: two lower-case letters.</summary>
    public static bool IsValidLanguage(string? code) =>
        code is { Length: 2 } && code[0] is >= 'a' and <= 'z' && code[1] is >= 'a' and <= 'z';
}
