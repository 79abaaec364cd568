using RectifiedSpaAttn.Compute;

namespace RectifiedSpaAttn.Tests.Accelerators;

/// <summary>
/// Kernel variants written by hand in all three forms (PTX, OpenCL C, CPU), following the compiler contract exactly,
/// since the generator does not produce kernels on this branch. PTX was checked with ptxas for sm_80 and sm_90.
/// </summary>
internal static class TestKernels
{
    private static readonly IReadOnlyDictionary<string, string> NoSpecialization = new Dictionary<string, string>();

    private static KernelParameter Buffer(string name, ScalarType type) => new(name, KernelParameterKind.Buffer, type);

    private static KernelParameter Scalar(string name, ScalarType type) => new(name, KernelParameterKind.Scalar, type);

    private static KernelVariant Variant(
        string name, string entry, KernelParameter[] parameters, string ptx, string openCL, CpuGroupFunction cpu,
        string? unsupported = null, int staticShared = 0)
        => new($"TestKernels.{name}", entry, NoSpecialization, parameters, staticShared, ptx, openCL, cpu, unsupported);

    // ---------------------------------------------------------------- saxpy: y = a * x + y

    /// <summary>y[i] = a * x[i] + y[i] for i &lt; y.Length; one thread per element along x.</summary>
    public static readonly KernelVariant Saxpy = Variant(
        "Saxpy", "saxpy",
        [Buffer("x", ScalarType.Float32), Buffer("y", ScalarType.Float32), Scalar("a", ScalarType.Float32)],
        SaxpyPtx, SaxpyOpenCL, SaxpyCpu);

    private const string SaxpyOpenCL = """
        __kernel void saxpy(__global float* x_base, ulong x_off, ulong x_len,
                            __global float* y_base, ulong y_off, ulong y_len, float a)
        {
            size_t i = get_global_id(0);
            if (i < y_len) y_base[y_off + i] = a * x_base[x_off + i] + y_base[y_off + i];
        }
        """;

    private const string SaxpyPtx = """
        .version 7.8
        .target sm_80
        .address_size 64

        .visible .entry saxpy(
            .param .u64 x_ptr,
            .param .u64 x_len,
            .param .u64 y_ptr,
            .param .u64 y_len,
            .param .f32 a)
        {
            .reg .pred %p<2>;
            .reg .b32 %r<5>;
            .reg .b64 %rd<8>;
            .reg .f32 %f<4>;

            ld.param.u64 %rd1, [x_ptr];
            ld.param.u64 %rd2, [y_ptr];
            ld.param.u64 %rd3, [y_len];
            ld.param.f32 %f1, [a];
            mov.u32 %r1, %ctaid.x;
            mov.u32 %r2, %ntid.x;
            mov.u32 %r3, %tid.x;
            mad.lo.s32 %r4, %r1, %r2, %r3;
            cvt.u64.u32 %rd4, %r4;
            setp.ge.u64 %p1, %rd4, %rd3;
            @%p1 bra DONE;
            cvta.to.global.u64 %rd5, %rd1;
            cvta.to.global.u64 %rd6, %rd2;
            shl.b64 %rd7, %rd4, 2;
            add.s64 %rd5, %rd5, %rd7;
            add.s64 %rd6, %rd6, %rd7;
            ld.global.f32 %f2, [%rd5];
            ld.global.f32 %f3, [%rd6];
            fma.rn.f32 %f3, %f1, %f2, %f3;
            st.global.f32 [%rd6], %f3;
        DONE:
            ret;
        }
        """;

    private static void SaxpyCpu(in CpuGroupContext context, ReadOnlySpan<KernelArgument> args)
    {
        ArrayView<float> x = args[0].AsView<float>(), y = args[1].AsView<float>();
        float a = args[2].AsSingle();
        for (int t = 0; t < context.GroupDim.X; t++)
        {
            long i = (long)context.GroupIndex.X * context.GroupDim.X + t;
            if (i < y.Length) y[i] = a * x[i] + y[i];
        }
    }

    // ---------------------------------------------------------------- reverse within each group, through dynamic shared memory

    /// <summary>dst[g*n + t] = src[g*n + (n-1-t)]: every group reverses its slice through dynamic shared memory (4 bytes per thread).</summary>
    public static readonly KernelVariant ReverseInGroup = Variant(
        "ReverseInGroup", "reverse_in_group",
        [Buffer("src", ScalarType.Int32), Buffer("dst", ScalarType.Int32)],
        ReversePtx, ReverseOpenCL, ReverseCpu);

    private const string ReverseOpenCL = """
        __kernel void reverse_in_group(__global int* src_base, ulong src_off, ulong src_len,
                                       __global int* dst_base, ulong dst_off, ulong dst_len,
                                       __local uchar* dyn_smem)
        {
            // The contract's anchor: NVIDIA's OpenCL faults on dyn_smem in a kernel with no static __local memory.
            __local volatile uint rsa_local_anchor[1];
            rsa_local_anchor[0] = 0u;
            __local int* tile = (__local int*)dyn_smem;
            size_t t = get_local_id(0), n = get_local_size(0), g = get_global_id(0);
            tile[t] = src_base[src_off + g];
            barrier(CLK_LOCAL_MEM_FENCE);
            dst_base[dst_off + g] = tile[n - 1 - t];
        }
        """;

    private const string ReversePtx = """
        .version 7.8
        .target sm_80
        .address_size 64

        .extern .shared .align 16 .b8 dyn_smem[];

        .visible .entry reverse_in_group(
            .param .u64 src_ptr,
            .param .u64 src_len,
            .param .u64 dst_ptr,
            .param .u64 dst_len)
        {
            .reg .b32 %r<9>;
            .reg .b64 %rd<6>;

            ld.param.u64 %rd1, [src_ptr];
            ld.param.u64 %rd2, [dst_ptr];
            cvta.to.global.u64 %rd1, %rd1;
            cvta.to.global.u64 %rd2, %rd2;
            mov.u32 %r1, %tid.x;
            mov.u32 %r2, %ntid.x;
            mov.u32 %r3, %ctaid.x;
            mad.lo.s32 %r4, %r3, %r2, %r1;
            mul.wide.u32 %rd3, %r4, 4;
            add.s64 %rd4, %rd1, %rd3;
            ld.global.u32 %r5, [%rd4];
            mov.u32 %r6, dyn_smem;
            shl.b32 %r7, %r1, 2;
            add.s32 %r7, %r6, %r7;
            st.shared.u32 [%r7], %r5;
            bar.sync 0;
            sub.s32 %r8, %r2, %r1;
            sub.s32 %r8, %r8, 1;
            shl.b32 %r8, %r8, 2;
            add.s32 %r8, %r6, %r8;
            ld.shared.u32 %r5, [%r8];
            add.s64 %rd5, %rd2, %rd3;
            st.global.u32 [%rd5], %r5;
            ret;
        }
        """;

    private static unsafe void ReverseCpu(in CpuGroupContext context, ReadOnlySpan<KernelArgument> args)
    {
        ArrayView<int> src = args[0].AsView<int>(), dst = args[1].AsView<int>();
        int n = context.GroupDim.X;
        if (context.DynamicSharedMemoryBytes < n * sizeof(int))
            throw new InvalidOperationException($"Got {context.DynamicSharedMemoryBytes} bytes of dynamic shared memory for {n} threads.");
        if (context.DynamicSharedMemory % 16 != 0)
            throw new InvalidOperationException($"Dynamic shared memory at 0x{context.DynamicSharedMemory:X} is not 16-byte aligned.");
        var tile = new Span<int>((void*)context.DynamicSharedMemory, n);
        long first = (long)context.GroupIndex.X * n;
        for (int t = 0; t < n; t++) tile[t] = src[first + t];
        // (barrier)
        for (int t = 0; t < n; t++) dst[first + t] = tile[n - 1 - t];
    }

    // ---------------------------------------------------------------- scalar marshalling: every scalar type's bits

    /// <summary>out[0..9] = the bits of i, u, l, ul, f, d, flag, b, h (zero-extended; i sign-extended), written by one thread.</summary>
    public static readonly KernelVariant Scalars = Variant(
        "Scalars", "scalars",
        [
            Buffer("out", ScalarType.UInt64), Scalar("i", ScalarType.Int32), Scalar("u", ScalarType.UInt32),
            Scalar("l", ScalarType.Int64), Scalar("ul", ScalarType.UInt64), Scalar("f", ScalarType.Float32),
            Scalar("d", ScalarType.Float64), Scalar("flag", ScalarType.Bool), Scalar("b", ScalarType.UInt8),
            Scalar("h", ScalarType.UInt16),
        ],
        ScalarsPtx, ScalarsOpenCL, ScalarsCpu);

    public const int ScalarsOutputs = 9;

    private const string ScalarsOpenCL = """
        #pragma OPENCL EXTENSION cl_khr_fp64 : enable
        __kernel void scalars(__global ulong* out_base, ulong out_off, ulong out_len,
                              int i, uint u, long l, ulong ul, float f, double d, uint flag, uchar b, ushort h)
        {
            if (get_global_id(0) != 0) return;
            __global ulong* o = out_base + out_off;
            o[0] = (ulong)(long)i;
            o[1] = u;
            o[2] = (ulong)l;
            o[3] = ul;
            o[4] = as_uint(f);
            o[5] = as_ulong(d);
            o[6] = flag;
            o[7] = b;
            o[8] = h;
        }
        """;

    private const string ScalarsPtx = """
        .version 7.8
        .target sm_80
        .address_size 64

        .visible .entry scalars(
            .param .u64 out_ptr,
            .param .u64 out_len,
            .param .s32 i,
            .param .u32 u,
            .param .s64 l,
            .param .u64 ul,
            .param .f32 f,
            .param .f64 d,
            .param .u32 flag,
            .param .u8 b,
            .param .u16 h)
        {
            .reg .b16 %h<3>;
            .reg .b32 %r<5>;
            .reg .b64 %rd<11>;
            .reg .f32 %f1;
            .reg .f64 %fd1;

            ld.param.u64 %rd1, [out_ptr];
            cvta.to.global.u64 %rd1, %rd1;
            ld.param.s32 %r1, [i];
            cvt.s64.s32 %rd2, %r1;
            st.global.u64 [%rd1], %rd2;
            ld.param.u32 %r2, [u];
            cvt.u64.u32 %rd3, %r2;
            st.global.u64 [%rd1+8], %rd3;
            ld.param.s64 %rd4, [l];
            st.global.u64 [%rd1+16], %rd4;
            ld.param.u64 %rd5, [ul];
            st.global.u64 [%rd1+24], %rd5;
            ld.param.f32 %f1, [f];
            mov.b32 %r3, %f1;
            cvt.u64.u32 %rd6, %r3;
            st.global.u64 [%rd1+32], %rd6;
            ld.param.f64 %fd1, [d];
            mov.b64 %rd7, %fd1;
            st.global.u64 [%rd1+40], %rd7;
            ld.param.u32 %r4, [flag];
            cvt.u64.u32 %rd8, %r4;
            st.global.u64 [%rd1+48], %rd8;
            ld.param.u8 %h1, [b];
            cvt.u64.u16 %rd9, %h1;
            and.b64 %rd9, %rd9, 255;
            st.global.u64 [%rd1+56], %rd9;
            ld.param.u16 %h2, [h];
            cvt.u64.u16 %rd10, %h2;
            st.global.u64 [%rd1+64], %rd10;
            ret;
        }
        """;

    private static void ScalarsCpu(in CpuGroupContext context, ReadOnlySpan<KernelArgument> args)
    {
        if (context.GroupIndex != new Dim3(0, 0, 0)) return;
        ArrayView<ulong> o = args[0].AsView<ulong>();
        o[0] = (ulong)(long)args[1].AsInt32();
        o[1] = args[2].AsUInt32();
        o[2] = (ulong)args[3].AsInt64();
        o[3] = args[4].Bits;
        o[4] = BitConverter.SingleToUInt32Bits(args[5].AsSingle());
        o[5] = BitConverter.DoubleToUInt64Bits(args[6].AsDouble());
        o[6] = args[7].AsBoolean() ? 1UL : 0UL;
        o[7] = (byte)args[8].Bits;
        o[8] = (ushort)args[9].Bits;
    }

    // ---------------------------------------------------------------- 3-D grid mapping

    /// <summary>
    /// Every thread writes, at its linear global index (x fastest), its group index and local index packed as
    /// gx | gy&lt;&lt;4 | gz&lt;&lt;8 | tx&lt;&lt;12 | ty&lt;&lt;16 | tz&lt;&lt;20.
    /// </summary>
    public static readonly KernelVariant GridIndex = Variant(
        "GridIndex", "grid_index",
        [Buffer("out", ScalarType.Int32)],
        GridPtx, GridOpenCL, GridCpu);

    public static int GridCode(Dim3 group, Dim3 local)
        => group.X | group.Y << 4 | group.Z << 8 | local.X << 12 | local.Y << 16 | local.Z << 20;

    private const string GridOpenCL = """
        __kernel void grid_index(__global int* out_base, ulong out_off, ulong out_len)
        {
            size_t gx = get_global_id(0), gy = get_global_id(1), gz = get_global_id(2);
            size_t nx = get_global_size(0), ny = get_global_size(1);
            int code = (int)get_group_id(0) | (int)get_group_id(1) << 4 | (int)get_group_id(2) << 8
                     | (int)get_local_id(0) << 12 | (int)get_local_id(1) << 16 | (int)get_local_id(2) << 20;
            out_base[out_off + (gz * ny + gy) * nx + gx] = code;
        }
        """;

    private const string GridPtx = """
        .version 7.8
        .target sm_80
        .address_size 64

        .visible .entry grid_index(
            .param .u64 out_ptr,
            .param .u64 out_len)
        {
            .reg .b32 %r<21>;
            .reg .b64 %rd<4>;

            ld.param.u64 %rd1, [out_ptr];
            cvta.to.global.u64 %rd1, %rd1;
            mov.u32 %r1, %ctaid.x;
            mov.u32 %r2, %ctaid.y;
            mov.u32 %r3, %ctaid.z;
            mov.u32 %r4, %tid.x;
            mov.u32 %r5, %tid.y;
            mov.u32 %r6, %tid.z;
            mov.u32 %r7, %ntid.x;
            mov.u32 %r8, %ntid.y;
            mov.u32 %r9, %ntid.z;
            mov.u32 %r10, %nctaid.x;
            mov.u32 %r11, %nctaid.y;
            mad.lo.s32 %r12, %r1, %r7, %r4;
            mad.lo.s32 %r13, %r2, %r8, %r5;
            mad.lo.s32 %r14, %r3, %r9, %r6;
            mul.lo.s32 %r15, %r10, %r7;
            mul.lo.s32 %r16, %r11, %r8;
            mul.lo.s32 %r17, %r15, %r16;
            mad.lo.s32 %r18, %r14, %r17, %r12;
            mad.lo.s32 %r18, %r13, %r15, %r18;
            shl.b32 %r19, %r2, 4;
            or.b32 %r20, %r1, %r19;
            shl.b32 %r19, %r3, 8;
            or.b32 %r20, %r20, %r19;
            shl.b32 %r19, %r4, 12;
            or.b32 %r20, %r20, %r19;
            shl.b32 %r19, %r5, 16;
            or.b32 %r20, %r20, %r19;
            shl.b32 %r19, %r6, 20;
            or.b32 %r20, %r20, %r19;
            mul.wide.u32 %rd2, %r18, 4;
            add.s64 %rd3, %rd1, %rd2;
            st.global.u32 [%rd3], %r20;
            ret;
        }
        """;

    private static void GridCpu(in CpuGroupContext context, ReadOnlySpan<KernelArgument> args)
    {
        ArrayView<int> o = args[0].AsView<int>();
        Dim3 g = context.GroupIndex, n = context.GroupDim, grid = context.GridDim;
        long nx = (long)grid.X * n.X, ny = (long)grid.Y * n.Y;
        for (int tz = 0; tz < n.Z; tz++)
            for (int ty = 0; ty < n.Y; ty++)
                for (int tx = 0; tx < n.X; tx++)
                {
                    long gx = (long)g.X * n.X + tx, gy = (long)g.Y * n.Y + ty, gz = (long)g.Z * n.Z + tz;
                    o[(gz * ny + gy) * nx + gx] = GridCode(g, new Dim3(tx, ty, tz));
                }
    }

    // ---------------------------------------------------------------- variants that must fail

    /// <summary>OpenCL C that does not compile (an undeclared identifier) and PTX the JIT rejects.</summary>
    public static readonly KernelVariant Broken = Variant(
        "Broken", "broken",
        [Buffer("x", ScalarType.Float32)],
        """
        .version 7.8
        .target sm_80
        .address_size 64
        .visible .entry broken(.param .u64 x_ptr, .param .u64 x_len)
        {
            this_is_not_an_instruction %r1;
            ret;
        }
        """,
        """
        __kernel void broken(__global float* x_base, ulong x_off, ulong x_len)
        {
            x_base[x_off] = undeclared_identifier_42;
        }
        """,
        (in CpuGroupContext _, ReadOnlySpan<KernelArgument> _) => { });

    /// <summary>Compiles, but its entry point is not the one the variant names.</summary>
    public static readonly KernelVariant MissingEntry = Variant(
        "MissingEntry", "not_there",
        [Buffer("x", ScalarType.Float32)],
        SaxpyPtx,
        """
        __kernel void something_else(__global float* x_base, ulong x_off, ulong x_len) { }
        """,
        (in CpuGroupContext _, ReadOnlySpan<KernelArgument> _) => { });

    /// <summary>An OpenCL kernel that takes a plain pointer for a buffer (1 argument instead of 3): breaks the contract.</summary>
    public static readonly KernelVariant WrongArity = Variant(
        "WrongArity", "wrong_arity",
        [Buffer("x", ScalarType.Float32)],
        SaxpyPtx,
        """
        __kernel void wrong_arity(__global float* x) { x[0] = 1.0f; }
        """,
        (in CpuGroupContext _, ReadOnlySpan<KernelArgument> _) => { });

    /// <summary>A variant the compiler marked as not runnable on OpenCL.</summary>
    public const string UnsupportedReason = "uses ldmatrix and mma.sync, which have no OpenCL emulation";

    public static readonly KernelVariant OpenCLUnsupported = Variant(
        "TensorCoreOnly", "tensor_core_only",
        [Buffer("x", ScalarType.Float32)],
        SaxpyPtx, "", (in CpuGroupContext _, ReadOnlySpan<KernelArgument> _) => { }, UnsupportedReason);

    /// <summary>A CPU kernel that throws in one chosen group (the group index x comes as the scalar).</summary>
    public static readonly KernelVariant ThrowsInGroup = Variant(
        "ThrowsInGroup", "throws_in_group",
        [Buffer("x", ScalarType.Float32), Scalar("bad_group", ScalarType.Int32)],
        SaxpyPtx, SaxpyOpenCL,
        (in CpuGroupContext context, ReadOnlySpan<KernelArgument> args) =>
        {
            if (context.GroupIndex.X == args[1].AsInt32())
                throw new InvalidOperationException($"boom in group {context.GroupIndex.X}");
        });
}
