{
  "targets": [
    {
      "target_name": "gdfo_kernels",
      "sources": ["native/bmm.c"],
      "cflags": ["-O3", "-std=c11", "-fno-math-errno"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2 } }
    }
  ]
}
