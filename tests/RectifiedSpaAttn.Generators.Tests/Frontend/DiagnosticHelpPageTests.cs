using System.Reflection;
using Microsoft.CodeAnalysis;
using RectifiedSpaAttn.Generators.Diagnostics;

namespace RectifiedSpaAttn.Generators.Tests.Frontend;

/// <summary>Every diagnostic the compiler can report has a help page in docs/diagnostics, and its help link names it.</summary>
public class DiagnosticHelpPageTests
{
    private static IEnumerable<DiagnosticDescriptor> Declared() => typeof(KernelDiagnostics)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!);

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "RectifiedSpaAttn.sln"))) return d.FullName;
        throw new InvalidOperationException("the test runs outside the repository");
    }

    [Fact]
    public void EveryDescriptorIsListedById() =>
        Assert.Equal(Declared().Select(d => d.Id).Order(), KernelDiagnostics.All.Keys.Order());

    [Fact]
    public void EveryHelpLinkNamesAPageThatExplainsItsId()
    {
        string root = RepositoryRoot();
        Assert.All(Declared(), d =>
        {
            Assert.Equal("docs/diagnostics/" + d.Id + ".md", d.HelpLinkUri);
            string page = Path.Combine(root, d.HelpLinkUri);
            Assert.True(File.Exists(page), page + " is missing");
            string text = File.ReadAllText(page);
            Assert.StartsWith("# " + d.Id, text, StringComparison.Ordinal);
            Assert.Contains("```csharp", text, StringComparison.Ordinal); // a bad example and its fix
        });
    }
}
