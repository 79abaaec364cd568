using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>A kernel parameter of type <c>TensorMap</c>: usable only as the map of a <c>BulkTensor</c> load.</summary>
internal sealed class TensorMapValue : Value
{
    public TensorMapValue(IrParam param) => Param = param;
    public IrParam Param { get; }
}

/// <summary>
/// The Hopper intrinsics (<c>Warpgroup</c>, <c>Mbarrier</c>, <c>BulkTensor</c>, <c>HopperWarp</c>), each lowered to one
/// <see cref="IrHopper"/>. They are allowed only in kernels marked <c>[RequiresHopper]</c> (RSA0013 otherwise).
/// </summary>
internal sealed partial class KernelLowering
{
    private static readonly HashSet<string> HopperTypes = new() { "Warpgroup", "Mbarrier", "BulkTensor", "HopperWarp" };

    private bool _requiresHopper;

    private static bool DeclaresHopper(IMethodSymbol kernel) =>
        kernel.GetAttributes().Any(a => TypeMapper.IsComputeType(a.AttributeClass, "RequiresHopperAttribute"));

    /// <summary>Binds a <c>TensorMap</c> parameter; false when <paramref name="type"/> is something else.</summary>
    private bool TryBindTensorMap(IParameterSymbol p, ITypeSymbol type, Frame frame)
    {
        if (!TypeMapper.IsComputeType(type, "TensorMap")) return false;
        var param = new IrParam(_params.Count, p.Name, IrParamKind.TensorMap, IrType.U64);
        _params.Add(param);
        frame.Symbols[p] = new FixedStorage(new TensorMapValue(param));
        return true;
    }

    private void RequireHopper(string name, Location? where)
    {
        if (!_requiresHopper)
            throw new KernelCompileException(KernelDiagnostics.HopperNotDeclared, where, name);
    }

    private Value? LowerHopperProperty(string name, Location? where)
    {
        if (name is not ("Warpgroup.Index" or "Warpgroup.ThreadIndex")) return null;
        RequireHopper(name, where);
        IrExpr linear = Special(IrSpecialKind.GroupLinearIdx);
        return new ScalarValue(name == "Warpgroup.Index"
            ? IrFactory.Binary(IrBinaryOp.Shr, linear, IrFactory.Int(7))
            : IrFactory.Binary(IrBinaryOp.And, linear, IrFactory.Int(127)));
    }

    /// <summary>Lowers a Hopper intrinsic; false when <paramref name="inv"/> is not one.</summary>
    private bool TryLowerHopperCall(string name, IInvocationOperation inv, out Value? result)
    {
        result = null;
        IMethodSymbol m = inv.TargetMethod;
        if (!HopperTypes.Contains(m.ContainingType.Name) || m.ContainingNamespace?.ToDisplayString() != TypeMapper.ComputeNamespace) return false;
        Location? where = Where(inv);
        if (name == "BulkTensor.Swizzle128")
        {
            // Pure arithmetic, allowed everywhere: o ^ (((o >> 7) & 7) << 4).
            IrExpr o = IrFactory.Convert(IrType.I32, AsScalar(LowerExpression(inv.Arguments[0].Value), where));
            IrExpr row = IrFactory.Binary(IrBinaryOp.And, IrFactory.Binary(IrBinaryOp.Shr, o, IrFactory.Int(7)), IrFactory.Int(7));
            result = new ScalarValue(IrFactory.Binary(IrBinaryOp.Xor, o, IrFactory.Binary(IrBinaryOp.Shl, row, IrFactory.Int(4))));
            return true;
        }
        RequireHopper(name, where);
        Value[] args = LowerInOrder(inv.Arguments.OrderBy(a => a.Parameter!.Ordinal).Select(a => a.Value).ToArray());
        IrExpr Int(int i) => IrFactory.Convert(IrType.I32, AsScalar(args[i], where));
        IrExpr Bool(int i) => IrFactory.Convert(IrType.Bool, AsScalar(args[i], where));
        IrExpr U32(int i) => IrFactory.Convert(IrType.U32, AsScalar(args[i], where));
        int Constant(int i, string what, int min, int max)
        {
            if (AsScalar(args[i], where) is not IrConst c || (long)c.Bits < min || (long)c.Bits > max)
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, what + " that is not a constant from " + min + " to " + max, "pass a compile-time constant in range");
            return (int)c.Bits;
        }
        IrView SharedView(int i, int elementBytes, string what)
        {
            IrView v = AsView(args[i], where);
            if (v.Space != IrAddressSpace.Shared || IrTypes.SizeOf(v.ElementType) != elementBytes)
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, what + " that is not a shared view of " + elementBytes + "-byte elements", "pass a view of shared memory (SharedMemory.GetDynamic or Allocate)");
            return v;
        }
        IrHopper Op(IrHopperOp op, IrView[] views, IrExpr[] operands, int immediate = 0) =>
            new(op, views, operands, System.Array.Empty<IrLocal>(), immediate);

        switch (name)
        {
            case "Warpgroup.Fence": Emit(Op(IrHopperOp.WgmmaFence, new IrView[0], new IrExpr[0])); return true;
            case "Warpgroup.CommitGroup": Emit(Op(IrHopperOp.WgmmaCommit, new IrView[0], new IrExpr[0])); return true;
            case "Warpgroup.WaitGroup": Emit(Op(IrHopperOp.WgmmaWait, new IrView[0], new IrExpr[0], Constant(0, "A wgmma wait count", 0, 7))); return true;
            case "Warpgroup.IncreaseRegisters":
            case "Warpgroup.DecreaseRegisters":
            {
                int registers = Constant(0, "A register count", 24, 256);
                if (registers % 8 != 0)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"setmaxnreg {registers}", "give a multiple of 8");
                Emit(Op(name.EndsWith("IncreaseRegisters") ? IrHopperOp.IncreaseRegisters : IrHopperOp.DecreaseRegisters, new IrView[0], new IrExpr[0], registers));
                return true;
            }
            case "Warpgroup.MmaAsync":
            {
                IrType element = ScalarMemoryType(m.TypeArguments[0], where);
                if (element is not (IrType.BF16 or IrType.F16))
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"wgmma on {TypeMapper.Describe(element)}", "use BFloat16 or Half operands");
                // m64nNk16 with f32 accumulators: N is a multiple of 8 up to 256, N / 2 accumulators a thread.
                if (args[0] is not ArrayValue acc || acc.Array.ElementType != IrType.F32 || acc.Array.Elements.Length % 4 != 0
                    || acc.Array.Elements.Length is < 4 or > 128)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "wgmma accumulators that are not a register array of N / 2 floats (N a multiple of 8, 8 to 256)",
                        "declare Span<float> acc = stackalloc float[N / 2] for N = 8, 16, ..., 256 (64, 128, 192 and 256 are the usual tiles)");
                int bf16 = element == IrType.BF16 ? 1 : 0;
                bool registerA = m.Parameters.Length == 9;
                int atomStride = Constant(registerA ? 8 : 6, "The wgmma B atom stride", 0, 16383 * 16);
                if (atomStride % 1024 != 0)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"A B atom stride of {atomStride} bytes", "give 0 (K-major B) or a multiple of 1024");
                IrHopper op = registerA
                    ? new IrHopper(IrHopperOp.WgmmaRegisterA, new[] { SharedView(5, 2, "The wgmma B operand") },
                        new[] { Int(6), Bool(7), U32(1), U32(2), U32(3), U32(4) }, acc.Array.Elements, bf16 | atomStride)
                    : new IrHopper(IrHopperOp.WgmmaShared, new[] { SharedView(1, 2, "The wgmma A operand"), SharedView(3, 2, "The wgmma B operand") },
                        new[] { Int(2), Int(4), Bool(5) }, acc.Array.Elements, bf16 | atomStride);
                Emit(op);
                return true;
            }
            case "Mbarrier.Init": Emit(Op(IrHopperOp.MbarrierInit, new[] { SharedView(0, 8, "An mbarrier") }, new[] { Int(1), Int(2) })); return true;
            case "Mbarrier.Arrive": Emit(Op(IrHopperOp.MbarrierArrive, new[] { SharedView(0, 8, "An mbarrier") }, new[] { Int(1) })); return true;
            case "Mbarrier.ArriveExpectTransaction": Emit(Op(IrHopperOp.MbarrierArriveExpectTx, new[] { SharedView(0, 8, "An mbarrier") }, new[] { Int(1), Int(2) })); return true;
            case "Mbarrier.Wait": Emit(Op(IrHopperOp.MbarrierWait, new[] { SharedView(0, 8, "An mbarrier") }, new[] { Int(1), Int(2) })); return true;
            case "BulkTensor.Load2D":
            case "BulkTensor.Load3D":
            {
                int rank = name.EndsWith("2D") ? 2 : 3;
                IrView destination = AsView(args[0], where);
                if (destination.Space != IrAddressSpace.Shared)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A bulk tensor copy into global memory", "copy into a shared view");
                if (args[2] is not TensorMapValue map)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A tensor map that is not a kernel parameter", "pass the TensorMap parameter itself");
                var operands = new List<IrExpr> { Int(1), Int(4 + rank) };
                for (int d = 0; d < rank; d++) operands.Add(Int(3 + d));
                Emit(new IrHopper(IrHopperOp.TensorLoad, new[] { destination, SharedView(3 + rank, 8, "An mbarrier") }, operands, System.Array.Empty<IrLocal>(), rank, map.Param));
                return true;
            }
            case "BulkTensor.FenceProxyAsync": Emit(Op(IrHopperOp.FenceProxyAsync, new IrView[0], new IrExpr[0])); return true;
            case "HopperWarp.ElectOne":
            {
                IrLocal elected = NewLocal("elected", IrType.Bool);
                Emit(new IrHopper(IrHopperOp.ElectOne, new IrView[0], new IrExpr[0], new[] { elected }));
                result = new ScalarValue(new IrLocalRef(elected));
                return true;
            }
            case "HopperWarp.StoreMatrixX4":
                Emit(Op(IrHopperOp.StoreMatrixX4, new[] { SharedView(0, 2, "stmatrix's destination") }, new[] { Int(1), U32(2), U32(3), U32(4), U32(5) }));
                return true;
            default:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"'{name}'", "this member is not a kernel intrinsic");
        }
    }
}
