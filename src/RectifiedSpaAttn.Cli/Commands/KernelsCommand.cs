using System.Globalization;
using System.Reflection;
using System.Text;
using RectifiedSpaAttn.Cli.Arguments;
using RectifiedSpaAttn.Compute;
using RectifiedSpaAttn.Kernels;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// <c>rsa kernels</c>: the kernel variants compiled into the library; with <c>--dump DIR</c>, their PTX and OpenCL C
/// as files (CI assembles the PTX with ptxas; people read both when a kernel misbehaves).
/// </summary>
internal sealed class KernelsCommand : ICommand
{
    public string Name => "kernels";

    public string Summary => "list the compiled kernel variants, or dump their PTX and OpenCL C (--dump DIR)";

    public IReadOnlySet<string> Switches { get; } = new HashSet<string>();

    public string Help =>
        """
        usage: rsa kernels [--assembly FILE] [--dump DIR]

        Lists every kernel compiled into the library with its variants (one per combination of [Specialize] values):
        entry point, launch parameters, static shared memory, PTX target (sm_80, or sm_90a for kernels that need
        Hopper: those run only on CUDA compute capability 9.0 and the CPU) and whether it runs on OpenCL.

          --assembly FILE  the kernels of another assembly built with RectifiedSpaAttn.Compute (your own project's
                           .dll) instead of the library's
          --dump DIR       write ENTRYPOINT.ptx (PTX ISA 7.8 for sm_80, or 8.0 for sm_90a, as its .target line says)
                           and ENTRYPOINT.cl (OpenCL C 1.2; empty where OpenCL cannot run the variant) for every
                           variant into DIR, creating it; existing files of the same names are replaced
        """;

    public int Run(ParsedArguments args, TextWriter output, TextWriter progress, Progress.ProgressDisplay display)
    {
        string? dump = args.GetString("dump");
        string? assembly = args.GetString("assembly");
        args.ThrowOnUnknown(Name);
        if (dump is { Length: 0 }) throw new UsageException("--dump needs a directory");
        if (assembly is { Length: 0 }) throw new UsageException("--assembly needs a file");
        IReadOnlyList<KernelVariant> variants = assembly is null ? KernelCatalog.Variants : CatalogOf(assembly);
        if (dump is null)
        {
            List(variants, output);
            return CommandLine.Success;
        }

        Directory.CreateDirectory(dump);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        foreach (KernelVariant v in variants)
        {
            File.WriteAllText(Path.Combine(dump, v.EntryPoint + ".ptx"), v.Ptx, utf8);
            File.WriteAllText(Path.Combine(dump, v.EntryPoint + ".cl"), v.OpenCL, utf8);
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {variants.Count} PTX and {variants.Count} OpenCL C files to {Path.GetFullPath(dump)}"));
        return CommandLine.Success;
    }

    // Every assembly the kernel compiler ran on has an internal <AssemblyName>.Generated.KernelCatalog; reflection is
    // the only way to reach another assembly's internal type, and this is a tool, not a hot path.
    private static IReadOnlyList<KernelVariant> CatalogOf(string file)
    {
        Assembly assembly = Assembly.LoadFrom(Path.GetFullPath(file));
        string catalog = assembly.GetName().Name!.Replace('-', '_') + ".Generated.KernelCatalog";
        PropertyInfo? variants = assembly.GetType(catalog)?.GetProperty("Variants", BindingFlags.Public | BindingFlags.Static);
        return variants?.GetValue(null) as IReadOnlyList<KernelVariant>
            ?? throw new InvalidDataException($"{file} holds no kernels built by RectifiedSpaAttn.Compute (no {catalog})");
    }

    private static void List(IReadOnlyList<KernelVariant> variants, TextWriter output)
    {
        foreach (IGrouping<string, KernelVariant> kernel in variants.GroupBy(v => v.KernelName))
        {
            KernelVariant first = kernel.First();
            string parameters = string.Join(", ", first.Parameters.Select(p =>
                p.Kind switch
                {
                    KernelParameterKind.Buffer => $"{p.Type}[] {p.Name}",
                    KernelParameterKind.TensorMap => $"TensorMap {p.Name}",
                    _ => $"{p.Type} {p.Name}",
                }));
            output.WriteLine($"{kernel.Key}({parameters})");
            foreach (KernelVariant v in kernel)
            {
                string specialization = v.Specialization.Count == 0 ? "(no specialisation)" : string.Join(", ", v.Specialization.Select(kv => kv.Key + "=" + kv.Value));
                string openCL = v.OpenCLUnsupportedReason is null ? "" : "  not on OpenCL: " + v.OpenCLUnsupportedReason;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {specialization,-28} {v.EntryPoint,-56} static shared {v.StaticSharedMemoryBytes,6} B  ptx {v.PtxTarget,-6}{openCL}"));
            }
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{variants.Count} variants of {variants.Select(v => v.KernelName).Distinct().Count()} kernels"));
    }
}
