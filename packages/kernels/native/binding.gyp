# The native kernels (README "Native backend"): one loadable module, recur_kernels.node, linking
# three builds of the same per-ISA sources (Note [one object per ISA] in src/kernels.h). No
# -march=native: each ISA library names its instruction set, and the addon picks one at load.
{
  "variables": {
    "isa_sources": [
      "src/isa/gemm.cc", "src/isa/pack.cc", "src/isa/lstm.cc", "src/isa/gru.cc", "src/isa/rnn.cc", "src/isa/optim.cc",
      "src/isa/reduce.cc", "src/isa/half.cc", "src/isa/losses.cc",
      "src/isa/table.cc"
    ],
    "common_cflags": ["-O3", "-fPIC", "-std=gnu++17", "-fno-exceptions", "-ffp-contract=fast", "-fno-math-errno"]
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions", "-O2", "-O0"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=c++17", "-O2", "-O0"]
  },
  "targets": [
    {
      "target_name": "recur_generic",
      "type": "static_library",
      "sources": ["<@(isa_sources)"],
      "cflags_cc": ["<@(common_cflags)"]
    },
    {
      "target_name": "recur_kernels",
      "sources": ["src/addon.cc", "src/addon-losses.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-O3", "-fPIC", "-std=gnu++17", "-ffp-contract=off"],
      "dependencies": ["recur_generic"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["RECUR_HAVE_X86_ISAS"],
          "dependencies": ["recur_avx512", "recur_avx2"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "recur_avx512",
          "type": "static_library",
          "sources": ["<@(isa_sources)"],
          "defines": ["RECUR_ISA_AVX512"],
          "cflags_cc": ["<@(common_cflags)", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mfma", "-mavx2", "-mf16c",
                        "-mprefer-vector-width=512"]
        },
        {
          "target_name": "recur_avx2",
          "type": "static_library",
          "sources": ["<@(isa_sources)"],
          "defines": ["RECUR_ISA_AVX2"],
          "cflags_cc": ["<@(common_cflags)", "-mavx2", "-mfma", "-mf16c"]
        }
      ]
    }]
  ]
}
