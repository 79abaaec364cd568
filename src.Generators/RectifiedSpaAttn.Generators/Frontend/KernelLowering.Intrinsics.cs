using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using RectifiedSpaAttn.Generators.Diagnostics;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Frontend;

/// <summary>The kernel language's intrinsics (types in RectifiedSpaAttn.Compute), recognised by containing type and name.</summary>
internal sealed partial class KernelLowering
{
    private Value LowerIntrinsicProperty(IPropertyReferenceOperation p)
    {
        string name = p.Property.ContainingType.Name + "." + p.Property.Name;
        if (LowerHopperProperty(name, Where(p)) is { } hopper) return hopper;
        IrExpr e = name switch
        {
            "Grid.IdxX" => Special(IrSpecialKind.GridIdxX), "Grid.IdxY" => Special(IrSpecialKind.GridIdxY), "Grid.IdxZ" => Special(IrSpecialKind.GridIdxZ),
            "Grid.DimX" => Special(IrSpecialKind.GridDimX), "Grid.DimY" => Special(IrSpecialKind.GridDimY), "Grid.DimZ" => Special(IrSpecialKind.GridDimZ),
            "Grid.GlobalIndexX" => IrFactory.Binary(IrBinaryOp.Add,
                IrFactory.Binary(IrBinaryOp.Mul, Special(IrSpecialKind.GridIdxX), Special(IrSpecialKind.GroupDimX)), Special(IrSpecialKind.GroupIdxX)),
            "Group.IdxX" => Special(IrSpecialKind.GroupIdxX), "Group.IdxY" => Special(IrSpecialKind.GroupIdxY), "Group.IdxZ" => Special(IrSpecialKind.GroupIdxZ),
            "Group.DimX" => Special(IrSpecialKind.GroupDimX), "Group.DimY" => Special(IrSpecialKind.GroupDimY), "Group.DimZ" => Special(IrSpecialKind.GroupDimZ),
            "Group.LinearIndex" => Special(IrSpecialKind.GroupLinearIdx),
            "Warp.LaneIdx" => Special(IrSpecialKind.LaneIdx),
            "Warp.WarpIdx" => Special(IrSpecialKind.WarpIdx),
            _ => throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(p), $"'{name}'", "this member has no meaning inside kernels"),
        };
        return new ScalarValue(e);
    }

    private static IrExpr Special(IrSpecialKind kind) => new IrSpecial(kind);

    private Value? LowerIntrinsicCall(IInvocationOperation inv)
    {
        IMethodSymbol m = inv.TargetMethod;
        Location? where = Where(inv);
        string name = m.ContainingType.Name + "." + m.Name;
        IOperation Arg(int i) => inv.Arguments.First(a => a.Parameter!.Ordinal == i).Value;
        IrExpr Scalar(int i) => AsScalar(LowerExpression(Arg(i)), Where(Arg(i)));
        IrConst ConstantArg(int i, string what) => Scalar(i) as IrConst
            ?? throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, Where(Arg(i)), what + " that is not a constant", "pass a compile-time constant");
        bool resultUsed = inv.Parent is not IExpressionStatementOperation;

        if (m.ContainingType.Name == "ArrayView") return LowerViewCall(inv);
        if (TryLowerHopperCall(name, inv, out Value? hopper)) return hopper;

        switch (name)
        {
            case "Group.Barrier": Emit(IrBarrier.Instance); return null;
            case "Warp.Barrier": Emit(IrWarpBarrier.Instance); return null;
            case "NamedBarrier.Sync": Emit(NamedBarrier(IrNamedBarrierKind.Sync, Scalar(0), Scalar(1), where)); return null;
            case "NamedBarrier.Arrive": Emit(NamedBarrier(IrNamedBarrierKind.Arrive, Scalar(0), Scalar(1), where)); return null;
            case "KernelHint.Unroll": return null;
            case "KernelHint.LaunchBounds":
            {
                IrConst maxGroup = ConstantArg(0, "A launch bound"), minGroups = ConstantArg(1, "A launch bound");
                if (_launchBounds is not null)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "A second KernelHint.LaunchBounds", "give the bounds once per kernel");
                if (maxGroup.Bits < 1 || maxGroup.Bits > 1024 || minGroups.Bits < 0 || minGroups.Bits > 32)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where,
                        $"KernelHint.LaunchBounds({maxGroup.Bits}, {minGroups.Bits})", "the group size must be 1 to 1024 and the groups per multiprocessor 0 to 32");
                _launchBounds = new IrLaunchBounds((int)maxGroup.Bits, (int)minGroups.Bits);
                return null;
            }

            case "Warp.Shuffle": return Shuffle(IrShuffleKind.Idx, Scalar(0), Scalar(1), where);
            case "Warp.ShuffleXor": return Shuffle(IrShuffleKind.Xor, Scalar(0), Scalar(1), where);
            case "Warp.ShuffleDown": return Shuffle(IrShuffleKind.Down, Scalar(0), Scalar(1), where);
            case "Warp.Sum": return WarpReduce(Scalar(0), max: false, where);
            case "Warp.Max": return WarpReduce(Scalar(0), max: true, where);

            case "SharedMemory.Allocate":
            {
                IrType element = ScalarMemoryType(m.TypeArguments[0], where);
                IrConst length = ConstantArg(0, "A shared allocation length");
                if (length.Bits <= 0)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"A shared allocation of {length.Bits} elements", "allocate at least one element");
                int offset = (_sharedBytes + 15) / 16 * 16;
                var allocation = new IrSharedAllocation(_shared.Count, element, (int)length.Bits, offset);
                _shared.Add(allocation);
                _sharedBytes = offset + allocation.Bytes;
                return new ViewValue(new IrView(allocation, element, IrFactory.Long(0), IrFactory.Long(length.Bits)));
            }
            case "SharedMemory.GetDynamic":
            {
                _usesDynamicShared = true;
                IrType element = ScalarMemoryType(m.TypeArguments[0], where);
                return new ViewValue(new IrView(IrDynamicSharedRoot.Instance, element, IrFactory.Long(0), IrFactory.Long(int.MaxValue / IrTypes.SizeOf(element))));
            }

            case "Atomic.Add": return AtomicCall(IrAtomicOp.Add, inv, resultUsed);
            case "Atomic.Max": return AtomicCall(IrAtomicOp.Max, inv, resultUsed);
            case "Atomic.Exchange": return AtomicCall(IrAtomicOp.Exchange, inv, resultUsed);
            case "Atomic.CompareExchange": return AtomicCall(IrAtomicOp.CompareExchange, inv, resultUsed);

            case "XMath.Exp2Fast": return new ScalarValue(new IrMath(IrMathOp.Exp2Fast, IrType.F32, new[] { IrFactory.Convert(IrType.F32, Scalar(0)) }));
            case "XMath.Rsqrt": return new ScalarValue(new IrMath(IrMathOp.Rsqrt, IrType.F32, new[] { IrFactory.Convert(IrType.F32, Scalar(0)) }));
            case "XMath.RcpFast": return new ScalarValue(new IrMath(IrMathOp.RcpFast, IrType.F32, new[] { IrFactory.Convert(IrType.F32, Scalar(0)) }));

            case "Packed.PackBFloat16": return new ScalarValue(new IrMath(IrMathOp.PackBF16, IrType.U32, LowerFloats(inv)));
            case "Packed.PackHalf": return new ScalarValue(new IrMath(IrMathOp.PackF16, IrType.U32, LowerFloats(inv)));
            case "Packed.UnpackBFloat16":
                return new ScalarValue(new IrMath(IrMathOp.UnpackBF16, IrType.F32, new IrExpr[] { Scalar(0), ConstantArg(1, "The half selector") }));
            case "Packed.UnpackHalf":
                return new ScalarValue(new IrMath(IrMathOp.UnpackF16, IrType.F32, new IrExpr[] { Scalar(0), ConstantArg(1, "The half selector") }));

            case "Element.ToFloat":
                return new ScalarValue(IrFactory.Convert(IrType.F32, Scalar(0)));
            case "Element.FromFloat":
            {
                IrType target = ScalarMemoryType(m.TypeArguments[0], where);
                IrExpr value = IrFactory.Convert(IrType.F32, Scalar(0));
                return new ScalarValue(target is IrType.BF16 or IrType.F16
                    ? IrFactory.Convert(IrType.F32, IrFactory.Convert(target, value))
                    : IrFactory.Convert(target, value));
            }

            case "VectorMemory.Load16":
            {
                Value[] args = LowerInOrder(Arg(0), Arg(1));
                IrLocal[] targets = NewLocals("v", IrType.U32, 4);
                Emit(new IrVectorLoad(targets, AsView(args[0], where), AsScalar(args[1], where)));
                return StructOf(m.ReturnType, targets);
            }
            case "VectorMemory.Store16":
            {
                Value[] args = LowerInOrder(Arg(0), Arg(1), Arg(2));
                var value = (StructValue)args[2];
                Emit(new IrVectorStore(AsView(args[0], where), AsScalar(args[1], where), value.Fields.Select(f => AsScalar(f.Value, where)).ToArray()));
                return null;
            }

            case "TensorCore.MmaBFloat16": return Mma(IrMmaKind.BF16, inv, where);
            case "TensorCore.MmaHalf": return Mma(IrMmaKind.F16, inv, where);
            case "TensorCore.LoadMatrixX1": return LoadMatrix(1, false, inv, where);
            case "TensorCore.LoadMatrixX2": return LoadMatrix(2, false, inv, where);
            case "TensorCore.LoadMatrixX4": return LoadMatrix(4, false, inv, where);
            case "TensorCore.LoadMatrixX1Transposed": return LoadMatrix(1, true, inv, where);
            case "TensorCore.LoadMatrixX2Transposed": return LoadMatrix(2, true, inv, where);
            case "TensorCore.LoadMatrixX4Transposed": return LoadMatrix(4, true, inv, where);

            case "AsyncCopy.Copy16":
            {
                Value[] args = LowerInOrder(Arg(0), Arg(1), Arg(2), Arg(3));
                IrView destination = AsView(args[0], where), source = AsView(args[2], where);
                if (destination.Space != IrAddressSpace.Shared || source.Space != IrAddressSpace.Global)
                    throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "AsyncCopy.Copy16 between these views", "copy from a global view (a parameter) into a shared view");
                Emit(new IrAsyncCopy(destination, AsScalar(args[1], where), source, AsScalar(args[3], where)));
                return null;
            }
            case "AsyncCopy.CommitGroup": Emit(IrAsyncCommit.Instance); return null;
            case "AsyncCopy.WaitGroup": Emit(new IrAsyncWait((int)ConstantArg(0, "The number of pending groups").Bits)); return null;

            default:
                throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"'{name}'",
                    "this member of RectifiedSpaAttn.Compute is not a kernel intrinsic (host-side API cannot be called from kernels)");
        }
    }

    private IrLocal[] NewLocals(string name, IrType type, int count) =>
        Enumerable.Range(0, count).Select(i => NewLocal(name + i, type)).ToArray();

    private static StructValue StructOf(ITypeSymbol type, IrLocal[] registers)
    {
        var fields = TypeMapper.StructFields(type);
        return new StructValue(type, fields.Select((f, i) => new KeyValuePair<string, Value>(f.Key, new ScalarValue(new IrLocalRef(registers[i])))).ToList());
    }

    private IrExpr[] LowerFloats(IInvocationOperation inv) =>
        LowerInOrder(inv.Arguments.Select(a => a.Value).ToArray()).Select(v => IrFactory.Convert(IrType.F32, AsScalar(v, Where(inv)))).ToArray();

    private Value Shuffle(IrShuffleKind kind, IrExpr value, IrExpr lane, Location? where)
    {
        if (value.Type is not (IrType.I32 or IrType.U32 or IrType.F32))
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, $"A shuffle of a {TypeMapper.Describe(value.Type)}", "shuffle int, uint or float values");
        IrLocal target = NewLocal("shfl", value.Type);
        Emit(new IrShuffle(kind, target, value, IrFactory.Convert(IrType.I32, lane)));
        return new ScalarValue(new IrLocalRef(target));
    }

    /// <summary>A butterfly over the warp (xor 16, 8, 4, 2, 1): every lane ends with the same total, in the same order.</summary>
    private Value WarpReduce(IrExpr value, bool max, Location? where)
    {
        IrLocal acc = NewLocal("warp_acc", value.Type);
        Emit(new IrAssign(acc, value));
        for (int mask = 16; mask >= 1; mask >>= 1)
        {
            IrExpr other = AsScalar(Shuffle(IrShuffleKind.Xor, new IrLocalRef(acc), IrFactory.Int(mask), where), where);
            IrExpr combined = max
                ? new IrMath(IrMathOp.Max, value.Type, new[] { new IrLocalRef(acc), other })
                : IrFactory.Binary(IrBinaryOp.Add, new IrLocalRef(acc), other);
            Emit(new IrAssign(acc, combined));
        }
        return new ScalarValue(new IrLocalRef(acc));
    }

    private Value? AtomicCall(IrAtomicOp op, IInvocationOperation inv, bool resultUsed)
    {
        Location? where = Where(inv);
        IOperation targetOp = inv.Arguments.First(a => a.Parameter!.Ordinal == 0).Value;
        if (LowerTarget(targetOp) is not ViewElementTarget element)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "An atomic on a local", "atomics take 'ref view[index]' of global or shared memory");
        IrExpr value = IrFactory.Convert(element.View.ElementType, AsScalar(LowerExpression(inv.Arguments.First(a => a.Parameter!.Ordinal == 1).Value), where));
        IrExpr? comparand = op == IrAtomicOp.CompareExchange
            ? IrFactory.Convert(element.View.ElementType, AsScalar(LowerExpression(inv.Arguments.First(a => a.Parameter!.Ordinal == 2).Value), where))
            : null;
        IrLocal? target = resultUsed ? NewLocal("old", element.View.ElementType) : null;
        Emit(new IrAtomic(op, target, element.View, element.Index, value, comparand));
        return target is null ? null : new ScalarValue(new IrLocalRef(target));
    }

    private Value Mma(IrMmaKind kind, IInvocationOperation inv, Location? where)
    {
        Value[] args = LowerInOrder(inv.Arguments.Select(a => a.Value).ToArray());
        IrExpr[] Fields(Value v) => ((StructValue)v).Fields.Select(f => AsScalar(f.Value, where)).ToArray();
        IrLocal[] d = NewLocals("mma", IrType.F32, 4);
        Emit(new IrMma(kind, d, Fields(args[0]), Fields(args[1]), Fields(args[2])));
        return StructOf(inv.TargetMethod.ReturnType, d);
    }

    private Value LoadMatrix(int count, bool transposed, IInvocationOperation inv, Location? where)
    {
        Value[] args = LowerInOrder(inv.Arguments.Select(a => a.Value).ToArray());
        IrView view = AsView(args[0], where);
        if (view.Space != IrAddressSpace.Shared || IrTypes.SizeOf(view.ElementType) != 2)
            throw new KernelCompileException(KernelDiagnostics.UnsupportedConstruct, where, "ldmatrix from this view", "ldmatrix reads 16-bit elements from shared memory");
        IrLocal[] targets = NewLocals("frag", IrType.U32, count);
        Emit(new IrLoadMatrix(targets, transposed, view, IrFactory.Convert(IrType.I32, AsScalar(args[1], where))));
        return count == 1 ? new ScalarValue(new IrLocalRef(targets[0])) : StructOf(inv.TargetMethod.ReturnType, targets);
    }
}
