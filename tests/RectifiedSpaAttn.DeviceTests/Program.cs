using System.Reflection;
using RectifiedSpaAttn.DeviceTests;

// usage: RectifiedSpaAttn.DeviceTests [FILTER ...]
// Runs every test of the library's and the compiler's test assemblies whose display name contains one of the filters
// (all tests when none is given), prints one line per failure and a summary per assembly, and exits 1 when any test
// failed or nothing matched. (The compiler's tests include PTX run on the GPU when one is present.)
Assembly[] assemblies =
[
    typeof(RectifiedSpaAttn.Tests.Tensors.HostTensorTests).Assembly,
    typeof(RectifiedSpaAttn.Generators.Tests.Ptx.PtxGpuTests).Assembly,
];
int selected = 0, failed = 0;
foreach (Assembly assembly in assemblies)
{
    var (s, f) = InProcessXunitRunner.Run(assembly, args, Console.Out);
    selected += s;
    failed += f;
}
if (selected == 0) Console.WriteLine("no test matched");
return selected > 0 && failed == 0 ? 0 : 1;
