using Matching.Engine.Domain;

namespace Matching.Engine.Simulation;

/// <summary>
/// The fixed lists and shares the populations are drawn from. Shares are rough US figures
/// (estimates): they only need to make the directory and the requests look like a real service's,
/// with realistic scarcity (few Vietnamese-speaking therapists, many CBT ones).
/// </summary>
internal static class SimulationVocabulary
{
    internal sealed record Region(string Code, double Weight, string[] Cities, decimal FeeUplift);

    internal static readonly Region[] Regions =
    [
        new("us-ca", 0.18, ["los-angeles", "san-francisco", "san-diego", "oakland"], 20m),
        new("us-tx", 0.14, ["houston", "dallas", "austin", "san-antonio"], 0m),
        new("us-fl", 0.11, ["miami", "orlando", "tampa"], 0m),
        new("us-ny", 0.11, ["new-york", "brooklyn", "buffalo", "albany"], 25m),
        new("us-il", 0.08, ["chicago", "evanston", "springfield"], 5m),
        new("us-pa", 0.08, ["philadelphia", "pittsburgh"], 0m),
        new("us-ga", 0.07, ["atlanta", "savannah"], -5m),
        new("us-wa", 0.08, ["seattle", "tacoma", "spokane"], 10m),
        new("us-ma", 0.07, ["boston", "cambridge", "worcester"], 20m),
        new("us-az", 0.08, ["phoenix", "tucson"], -5m),
    ];

    internal static readonly double[] RegionWeights = Regions.Select(r => r.Weight).ToArray();

    /// <summary>Languages the truth knows; the first is English. Index order is part of no file format.</summary>
    internal static readonly string[] Languages = ["en", "es", "zh", "vi", "ar", "fr", "ko", "ru", "pt", "hi", "fa", "ht"];

    /// <summary>Fixed cultural and lived-experience tags.</summary>
    internal static readonly string[] CultureTags =
        ["black", "latino", "east-asian", "south-asian", "middle-eastern", "jewish", "muslim", "lgbtq", "immigrant", "veteran", "disability"];

    internal static int CultureBit(string tag)
    {
        var i = Array.IndexOf(CultureTags, tag);
        return i < 0 ? 0 : 1 << i;
    }

    /// <summary>Ethnic background of a person (null = none of the listed tags), with population shares.</summary>
    internal static readonly string?[] Ethnicities = [null, "black", "latino", "east-asian", "south-asian", "middle-eastern"];

    internal static readonly double[] TherapistEthnicityWeights = [0.62, 0.10, 0.12, 0.08, 0.05, 0.03];

    internal static readonly double[] ClientEthnicityWeights = [0.56, 0.13, 0.17, 0.07, 0.04, 0.03];

    internal static readonly string[] Faiths = ["christian", "muslim", "jewish"];

    internal static readonly string[] Payers = ["aetna", "bcbs", "cigna", "united", "medicaid", "medicare"];

    /// <summary>Share of therapists accepting each payer in <see cref="Payers"/>.</summary>
    internal static readonly double[] PayerAcceptance = [0.50, 0.55, 0.45, 0.45, 0.25, 0.30];

    /// <summary>Share of insured clients holding each payer in <see cref="Payers"/>.</summary>
    internal static readonly double[] PayerShare = [0.20, 0.26, 0.14, 0.20, 0.13, 0.07];

    /// <summary>How often a therapist lists each modality (Modality enum order).</summary>
    internal static readonly double[] ModalityPrevalence =
    [
        0.75, // Cbt
        0.20, // Dbt
        0.30, // Act
        0.18, // Emdr
        0.25, // Psychodynamic
        0.30, // PersonCentred
        0.06, // Schema
        0.15, // FamilySystemic
        0.12, // Interpersonal
        0.30, // MindfulnessBased
        0.20, // SolutionFocused
        0.10, // CompassionFocused
        0.08, // Narrative
    ];

    /// <summary>How often a client who prefers a modality names each one (Modality enum order).</summary>
    internal static readonly double[] ModalityDemand =
        [0.40, 0.08, 0.07, 0.08, 0.10, 0.08, 0.02, 0.04, 0.03, 0.06, 0.02, 0.01, 0.01];

    /// <summary>
    /// Typical (directiveness, structure) of each modality (Modality enum order): CBT and DBT lead and
    /// structure, psychodynamic and person-centred therapists follow the client.
    /// </summary>
    internal static readonly (double Directiveness, double Structure)[] ModalityStyle =
    [
        (0.78, 0.82), // Cbt
        (0.75, 0.85), // Dbt
        (0.55, 0.55), // Act
        (0.62, 0.72), // Emdr
        (0.22, 0.25), // Psychodynamic
        (0.12, 0.18), // PersonCentred
        (0.55, 0.60), // Schema
        (0.50, 0.45), // FamilySystemic
        (0.48, 0.55), // Interpersonal
        (0.45, 0.60), // MindfulnessBased
        (0.68, 0.62), // SolutionFocused
        (0.32, 0.40), // CompassionFocused
        (0.28, 0.30), // Narrative
    ];

    /// <summary>How often a therapist lists each goal as a specialty (Goal enum order).</summary>
    internal static readonly double[] SpecialtyPrevalence =
    [
        0.70, // Anxiety
        0.20, // Panic
        0.68, // Depression
        0.42, // Trauma
        0.20, // Grief
        0.35, // Relationships
        0.30, // SelfEsteem
        0.28, // WorkStress
        0.10, // Ocd
        0.07, // Eating
        0.12, // SubstanceUse
        0.10, // Anger
        0.07, // Sleep
        0.15, // Parenting
        0.14, // Identity
        0.30, // LifeTransitions
    ];

    /// <summary>How often a client names each goal (Goal enum order).</summary>
    internal static readonly double[] GoalDemand =
        [0.24, 0.06, 0.20, 0.09, 0.04, 0.08, 0.06, 0.06, 0.02, 0.02, 0.03, 0.02, 0.02, 0.02, 0.02, 0.02];

    internal static readonly string[] WomenFirstNames =
    [
        "Maria", "Sarah", "Jennifer", "Emily", "Jessica", "Laura", "Rachel", "Hannah", "Olivia", "Grace",
        "Aisha", "Mei", "Priya", "Sofia", "Camila", "Elena", "Naomi", "Leah", "Claire", "Monica",
        "Danielle", "Keisha", "Linh", "Yuna", "Fatima", "Rebecca", "Karen", "Angela", "Julia", "Nicole",
    ];

    internal static readonly string[] MenFirstNames =
    [
        "David", "Michael", "James", "Daniel", "Robert", "Carlos", "Jose", "Wei", "Raj", "Omar",
        "Thomas", "Andrew", "Marcus", "Kevin", "Samuel", "Benjamin", "Luis", "Hiro", "Minh", "Joseph",
        "Anthony", "Brian", "Eric", "Jonathan", "Ahmed", "Nathan", "Paul", "Steven", "Jamal", "Victor",
    ];

    internal static readonly string[] NeutralFirstNames =
        ["Alex", "Jordan", "Taylor", "Casey", "Riley", "Morgan", "Sam", "Avery", "Quinn", "Jamie"];

    internal static readonly string[] GeneralLastNames =
    [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
        "Hall", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
        "Cohen", "Levy", "Murphy", "Sullivan", "Kowalski", "Rossi", "Schmidt", "Dubois", "Washington", "Robinson",
    ];

    internal static readonly string[] LatinoLastNames =
        ["Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores", "Rivera"];

    internal static readonly string[] EastAsianLastNames =
        ["Chen", "Wang", "Li", "Zhang", "Liu", "Nguyen", "Tran", "Pham", "Kim", "Park", "Lee", "Tanaka"];

    internal static readonly string[] SouthAsianLastNames = ["Patel", "Shah", "Singh", "Kumar", "Gupta", "Rao", "Iyer", "Desai"];

    internal static readonly string[] MiddleEasternLastNames = ["Haddad", "Khalil", "Rahman", "Nasser", "Saleh", "Hosseini", "Farah", "Aziz"];

    internal static readonly string[] Credentials = ["PhD", "PsyD", "LCSW", "LMFT", "LPC", "LMHC"];

    internal static readonly double[] CredentialWeights = [0.14, 0.10, 0.32, 0.16, 0.18, 0.10];

    internal static string[] LastNamesFor(string? ethnicity) => ethnicity switch
    {
        "latino" => LatinoLastNames,
        "east-asian" => EastAsianLastNames,
        "south-asian" => SouthAsianLastNames,
        "middle-eastern" => MiddleEasternLastNames,
        _ => GeneralLastNames,
    };

    internal static int LanguageIndex(string code) => Array.IndexOf(Languages, code);

    /// <summary>
    /// Weight of a client's k-th goal (0-based) out of n: the first goal matters most, and the
    /// weights sum to 1 (1; .6/.4; .5/.3/.2; linear beyond three).
    /// </summary>
    internal static double GoalOrderWeight(int k, int n) => n switch
    {
        1 => 1.0,
        2 => k == 0 ? 0.6 : 0.4,
        3 => k switch { 0 => 0.5, 1 => 0.3, _ => 0.2 },
        _ => (n - k) / (n * (n + 1) / 2.0),
    };

    internal static int GoalCount => Enum.GetValues<Goal>().Length;

    internal static int ModalityCount => Enum.GetValues<Modality>().Length;
}
