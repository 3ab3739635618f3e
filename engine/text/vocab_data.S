/* vocab_data.S: embeds CLIP's BPE merge list (data/bpe_simple_vocab_16e6.txt.gz, MIT licence,
 * data/LICENSE.openai-clip) in the binary, for clip_tokenizer_init(NULL) in engine/text/tokenizer.c.
 * Assembled from the repository root, so the path is relative to it. */
    .section .rodata
    .balign 16
    .global segp_clip_vocab_gz
    .type segp_clip_vocab_gz, @object
segp_clip_vocab_gz:
    .incbin "data/bpe_simple_vocab_16e6.txt.gz"
segp_clip_vocab_gz_end:
    .byte 0
    .size segp_clip_vocab_gz, . - segp_clip_vocab_gz

    /* the blob's length, computed here: C may not subtract pointers to two distinct objects */
    .balign 8
    .global segp_clip_vocab_gz_size
    .type segp_clip_vocab_gz_size, @object
segp_clip_vocab_gz_size:
    .quad segp_clip_vocab_gz_end - segp_clip_vocab_gz
    .size segp_clip_vocab_gz_size, 8

    .section .note.GNU-stack,"",@progbits
