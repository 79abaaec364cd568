using System.Reflection;
using RectifiedSpaAttn.DeviceTests;

// usage: RectifiedSpaAttn.DeviceTests [FILTER ...]
// Runs every test whose fully qualified name contains one of the filters (all tests when none is given), prints one
// line per failure and a summary, and exits 1 when any test failed or nothing matched.
Assembly tests = typeof(RectifiedSpaAttn.Tests.Tensors.HostTensorTests).Assembly;
return InProcessXunitRunner.Run(tests, args, Console.Out);
