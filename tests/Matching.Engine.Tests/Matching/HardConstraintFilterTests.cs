using Matching.Engine.Domain;
using Matching.Engine.Matching;

namespace Matching.Engine.Tests.Matching;

public class HardConstraintFilterTests
{
    private static Constraint? FirstFailed(ClientPreferences client, TherapistProfile therapist, int? capacityLeft = null) =>
        HardConstraintFilter.FirstFailed(client, therapist, capacityLeft ?? therapist.WeeklyNewClientCapacity);

    [Test]
    public void The_baseline_pair_is_eligible()
    {
        Assert.That(FirstFailed(Build.Client(), Build.Therapist()), Is.Null);
    }

    [Test]
    public void Not_accepting_new_clients_excludes()
    {
        Assert.That(FirstFailed(Build.Client(), Build.Therapist() with { AcceptingNewClients = false }), Is.EqualTo(Constraint.Accepting));
    }

    [TestCase(0, Constraint.Accepting)]
    [TestCase(-1, Constraint.Accepting)]
    [TestCase(1, null)]
    public void No_capacity_left_excludes(int capacityLeft, Constraint? expected)
    {
        Assert.That(FirstFailed(Build.Client(), Build.Therapist(), capacityLeft), Is.EqualTo(expected));
    }

    [Test]
    public void Zero_weekly_capacity_excludes()
    {
        var therapist = Build.Therapist() with { WeeklyNewClientCapacity = 0 };

        Assert.That(FirstFailed(Build.Client(), therapist), Is.EqualTo(Constraint.Accepting));
    }

    [TestCase("us-ny", null)]
    [TestCase("us-nj", Constraint.Region)]
    [TestCase("US-NY", Constraint.Region)]
    public void The_therapist_must_be_licensed_in_the_client_region(string licensed, Constraint? expected)
    {
        var therapist = Build.Therapist() with { LicensedRegions = ["ca-on", licensed] };

        Assert.That(FirstFailed(Build.Client(), therapist), Is.EqualTo(expected));
    }

    [Test]
    public void Video_needs_a_licence_in_the_client_region([Values] SessionFormat format)
    {
        var videoOnlyElsewhere = Build.Therapist() with { LicensedRegions = ["us-nj"], InPersonCities = [] };
        var client = Build.Client().With(c => c with { Format = format });

        Assert.That(FirstFailed(client, videoOnlyElsewhere), Is.EqualTo(Constraint.Region));
    }

    [TestCase(SessionFormat.Video, true, false, null)]
    [TestCase(SessionFormat.Video, false, true, Constraint.Format)]
    [TestCase(SessionFormat.InPerson, true, false, Constraint.Format)]
    [TestCase(SessionFormat.InPerson, false, true, null)]
    [TestCase(SessionFormat.Either, true, false, null)]
    [TestCase(SessionFormat.Either, false, true, null)]
    [TestCase(SessionFormat.Either, false, false, Constraint.Format)]
    public void Format_needs_video_or_an_office_in_the_client_city(SessionFormat format, bool offersVideo, bool officeInCity, Constraint? expected)
    {
        var therapist = Build.Therapist() with { OffersVideo = offersVideo, InPersonCities = officeInCity ? ["nyc"] : ["buffalo"] };
        var client = Build.Client().With(c => c with { Format = format });

        Assert.That(FirstFailed(client, therapist), Is.EqualTo(expected));
    }

    [TestCase(SessionFormat.InPerson, Constraint.Format)]
    [TestCase(SessionFormat.Either, null)]
    [TestCase(SessionFormat.Video, null)]
    public void In_person_needs_the_client_city(SessionFormat format, Constraint? expected)
    {
        var clientWithoutCity = Build.Client().With(c => c with { Format = format, City = null });

        Assert.That(FirstFailed(clientWithoutCity, Build.Therapist()), Is.EqualTo(expected));
    }

    [TestCase(new[] { "en" }, new[] { "es", "en" }, null)]
    [TestCase(new[] { "es" }, new[] { "es", "en" }, null)]
    [TestCase(new[] { "fr", "de" }, new[] { "es", "en" }, Constraint.Language)]
    [TestCase(new[] { "EN" }, new[] { "en" }, Constraint.Language)]
    public void The_therapist_must_share_a_language(string[] therapistLanguages, string[] clientLanguages, Constraint? expected)
    {
        var client = Build.Client() with { Languages = clientLanguages };

        Assert.That(FirstFailed(client, Build.Therapist() with { Languages = therapistLanguages }), Is.EqualTo(expected));
    }

    [TestCase(AgeGroups.Adults, AgeGroups.Adults, null)]
    [TestCase(AgeGroups.Adolescents, AgeGroups.Adults, Constraint.AgeGroup)]
    [TestCase(AgeGroups.Adolescents, AgeGroups.Children | AgeGroups.Adolescents, null)]
    [TestCase(AgeGroups.OlderAdults, AgeGroups.Children | AgeGroups.Adolescents | AgeGroups.Adults, Constraint.AgeGroup)]
    public void The_therapist_must_serve_the_client_age_group(AgeGroups client, AgeGroups served, Constraint? expected)
    {
        var therapist = Build.Therapist() with { AgeGroups = served };

        Assert.That(FirstFailed(Build.Client().With(c => c with { AgeGroup = client }), therapist), Is.EqualTo(expected));
    }

    [TestCase("aetna", null)]
    [TestCase("cigna", Constraint.Insurance)]
    [TestCase("Aetna", Constraint.Insurance)]
    public void An_insured_client_needs_a_therapist_accepting_the_payer(string payer, Constraint? expected)
    {
        var client = Build.Client().With(c => c with { Insurance = payer });

        Assert.That(FirstFailed(client, Build.Therapist() with { InsuranceAccepted = ["aetna", "bcbs"] }), Is.EqualTo(expected));
    }

    [Test]
    public void A_self_pay_client_accepts_any_payer_list()
    {
        Assert.That(FirstFailed(Build.Client(), Build.Therapist() with { InsuranceAccepted = [] }), Is.Null);
    }

    [TestCase(150, 100, Constraint.Fee)]
    [TestCase(100, 100, null)]
    [TestCase(99.99, 100, null)]
    [TestCase(100.01, 100, Constraint.Fee)]
    public void A_self_pay_fee_above_the_maximum_excludes(decimal fee, decimal maxFee, Constraint? expected)
    {
        var client = Build.Client().With(c => c with { MaxFee = maxFee });

        Assert.That(FirstFailed(client, Build.Therapist() with { Fee = fee }), Is.EqualTo(expected));
    }

    [Test]
    public void The_fee_maximum_applies_only_to_self_pay()
    {
        var insured = Build.Client().With(c => c with { Insurance = "aetna", MaxFee = 100m });

        Assert.That(FirstFailed(insured, Build.Therapist() with { Fee = 300m }), Is.Null);
    }

    [Test]
    public void Without_a_maximum_any_fee_is_accepted()
    {
        Assert.That(FirstFailed(Build.Client(), Build.Therapist() with { Fee = 10_000m }), Is.Null);
    }

    [TestCase(Availability.None, Availability.WeekdayDaytime, null)]
    [TestCase(Availability.WeekdayEvening, Availability.WeekdayEvening, null)]
    [TestCase(Availability.WeekdayEvening, Availability.WeekdayDaytime, Constraint.Availability)]
    [TestCase(Availability.WeekdayEvening | Availability.Weekend, Availability.Weekend, null)]
    [TestCase(Availability.WeekdayDaytime | Availability.Weekend, Availability.WeekdayEvening, Constraint.Availability)]
    [TestCase(Availability.Weekend, Availability.None, Constraint.Availability)]
    public void The_therapist_must_have_a_time_the_client_can_attend(Availability client, Availability therapist, Constraint? expected)
    {
        var c = Build.Client().With(h => h with { Availability = client });

        Assert.That(FirstFailed(c, Build.Therapist() with { Availability = therapist }), Is.EqualTo(expected));
    }

    /// <summary>
    /// A therapist failing <paramref name="first"/> and every constraint checked after it is
    /// counted against <paramref name="first"/>: the constraints are checked in declaration order.
    /// </summary>
    [Test]
    public void A_therapist_is_counted_against_the_first_constraint_it_fails([Values] Constraint first)
    {
        // Insurance and fee cannot both fail for one client: the fee only applies to self-pay.
        var client = first == Constraint.Insurance
            ? Build.Client().With(c => c with { Insurance = "aetna", Availability = Availability.Weekend })
            : Build.Client().With(c => c with { MaxFee = 200m, Availability = Availability.Weekend });
        var therapist = Build.Therapist();
        bool Fails(Constraint c) => c >= first;
        if (Fails(Constraint.Accepting))
        {
            therapist = therapist with { AcceptingNewClients = false };
        }

        if (Fails(Constraint.Region))
        {
            therapist = therapist with { LicensedRegions = ["ca-on"] };
        }

        if (Fails(Constraint.Format))
        {
            therapist = therapist with { OffersVideo = false, InPersonCities = [] };
        }

        if (Fails(Constraint.Language))
        {
            therapist = therapist with { Languages = ["fr"] };
        }

        if (Fails(Constraint.AgeGroup))
        {
            therapist = therapist with { AgeGroups = AgeGroups.Children };
        }

        if (Fails(Constraint.Insurance))
        {
            therapist = therapist with { InsuranceAccepted = [] };
        }

        if (Fails(Constraint.Fee))
        {
            therapist = therapist with { Fee = 500m };
        }

        if (Fails(Constraint.Availability))
        {
            therapist = therapist with { Availability = Availability.WeekdayDaytime };
        }

        Assert.That(FirstFailed(client, therapist), Is.EqualTo(first));
    }

    [Test]
    public void ConstraintCount_covers_every_constraint()
    {
        Assert.That(Enum.GetValues<Constraint>(), Has.Length.EqualTo(HardConstraintFilter.ConstraintCount));
    }

    [TestCase(new[] { "a", "b" }, new[] { "c", "b" }, true)]
    [TestCase(new[] { "a" }, new[] { "A" }, false)]
    [TestCase(new string[0], new[] { "a" }, false)]
    [TestCase(new[] { "a" }, new string[0], false)]
    public void SharesAny_compares_ordinally(string[] a, string[] b, bool expected)
    {
        Assert.That(HardConstraintFilter.SharesAny(a, b), Is.EqualTo(expected));
    }
}
