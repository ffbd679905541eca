namespace MedVision.Fhir.Tests;

public sealed class FhirIdTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("Patient-1.2")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void IsValid_WhenIdFollowsTheR4Rule_ShouldBeTrue(string id) => Assert.True(FhirId.IsValid(id));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a_b")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("é")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    public void IsValid_WhenIdBreaksTheR4Rule_ShouldBeFalse(string? id) => Assert.False(FhirId.IsValid(id));

    [Theory]
    [InlineData("abc-1.2", "abc-1.2")]
    [InlineData("reviewer-dr smith/ü", "reviewer-dr-smith--")]
    [InlineData("", "x")]
    public void From_WhenGivenAnyText_ShouldGiveAValidIdKeepingTheAlphabet(string raw, string expected)
    {
        var id = FhirId.From(raw);

        Assert.Equal(expected, id);
        Assert.True(FhirId.IsValid(id));
    }

    [Fact]
    public void From_WhenLongerThan64_ShouldCutTo64()
    {
        var id = FhirId.From(new string('a', 65) + "/");

        Assert.Equal(new string('a', 64), id);
    }
}
