using System.Collections.Generic;
using System.Text;
using RectifiedSpaAttn.Generators.Ir;

namespace RectifiedSpaAttn.Generators.Backends.OpenCL;

/// <summary>OpenCL C spellings of IR types and identifiers.</summary>
internal static class OpenCLNames
{
    /// <summary>The C type of a value held in a register. F16/BF16 are memory-only in the IR and travel as their bits (ushort).</summary>
    public static string Type(IrType t) => t switch
    {
        IrType.Bool => "bool",
        IrType.U8 => "uchar",
        IrType.U16 or IrType.F16 or IrType.BF16 => "ushort",
        IrType.I32 => "int",
        IrType.U32 => "uint",
        IrType.I64 => "long",
        IrType.U64 => "ulong",
        IrType.F32 => "float",
        _ => "double",
    };

    /// <summary>The C type of an element in memory: bool is one byte (uchar), because OpenCL's bool has no defined size.</summary>
    public static string MemoryType(IrType t) => t == IrType.Bool ? "uchar" : Type(t);

    /// <summary>The C type of a scalar kernel argument: bool travels as uint (OpenCL forbids bool arguments).</summary>
    public static string ArgumentType(IrType t) => t == IrType.Bool ? "uint" : Type(t);

    public static string Local(IrLocal local) => Sanitize(local.Name) + "_" + local.Id;

    public static string BufferBase(IrParam p) => ParamStem(p) + "_base";
    public static string BufferOffset(IrParam p) => ParamStem(p) + "_off";
    public static string BufferLength(IrParam p) => ParamStem(p) + "_len";

    /// <summary>A scalar argument's name: its C# name unless that is reserved in OpenCL C or could collide with ours.</summary>
    public static string Scalar(IrParam p) => ParamStem(p);

    private static string ParamStem(IrParam p)
    {
        string s = Sanitize(p.Name);
        // Locals end in _<digits> and our own names start with rsa_: keep parameters out of both patterns.
        bool clashes = Reserved.Contains(s) || s.StartsWith("rsa_", System.StringComparison.Ordinal) || EndsWithIdSuffix(s)
            || s.StartsWith("smem", System.StringComparison.Ordinal) || s == "dyn_smem";
        return clashes ? "arg_" + s : s;
    }

    private static bool EndsWithIdSuffix(string s)
    {
        int i = s.Length - 1;
        while (i >= 0 && char.IsDigit(s[i])) i--;
        return i < s.Length - 1 && i >= 0 && s[i] == '_';
    }

    /// <summary>Keeps ASCII letters, digits and underscores (C# allows more in identifiers than C does).</summary>
    public static string Sanitize(string name)
    {
        var sb = new StringBuilder(name.Length + 1);
        foreach (char c in name)
            sb.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' ? c : '_');
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, 'v');
        return sb.ToString();
    }

    // OpenCL C keywords, type names and builtins a C# identifier could spell (C# keywords cannot be names without @).
    private static readonly HashSet<string> Reserved = new()
    {
        "auto", "register", "signed", "unsigned", "union", "typedef", "extern", "inline", "restrict", "volatile", "const",
        "global", "__global", "local", "__local", "constant", "__constant", "private", "__private", "kernel", "__kernel",
        "read_only", "write_only", "read_write", "uniform", "pipe", "half", "uchar", "ushort", "uint", "ulong", "size_t",
        "ptrdiff_t", "intptr_t", "uintptr_t", "image2d_t", "image3d_t", "sampler_t", "event_t", "vec_type_hint",
        "bool", "true", "false", "min", "max", "abs", "exp", "exp2", "log", "log2", "sqrt", "rsqrt", "fabs", "fmin", "fmax",
        "fma", "floor", "ceil", "sin", "cos", "tanh", "fmod", "barrier", "as_uint", "as_float", "vload4", "vstore4",
        "main", "NAN", "INFINITY", "get_local_id", "get_group_id", "get_local_size", "get_num_groups",
    };
}
