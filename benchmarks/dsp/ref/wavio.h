/* wavio.h: minimal mono 16-bit PCM WAV reading and writing for the DSP
 * benchmark's reference runners, and the CLI shape they share with
 * `voxgraph dsp`: TOOL --in X.wav --out Y.wav, aec --mic --ref --out.
 * Header-only; usable from C and C++. */
#ifndef DSPBENCH_WAVIO_H
#define DSPBENCH_WAVIO_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int16_t *pcm;
    size_t n;
    int rate;
} wav_t;

static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* wav_read reads a mono 16-bit PCM WAV file; returns 0 on success and
 * prints the reason to stderr otherwise. */
static int wav_read(const char *path, wav_t *w) {
    FILE *f = fopen(path, "rb");
    unsigned char h[12], ch[8];
    int fmt_ok = 0;
    if (!f) { perror(path); return -1; }
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) {
        fprintf(stderr, "%s: not a RIFF/WAVE file\n", path); fclose(f); return -1;
    }
    while (fread(ch, 1, 8, f) == 8) {
        uint32_t size = rd32(ch + 4);
        if (!memcmp(ch, "fmt ", 4)) {
            unsigned char fm[16];
            if (size < 16 || fread(fm, 1, 16, f) != 16) break;
            if (rd16(fm) != 1 || rd16(fm + 2) != 1 || rd16(fm + 14) != 16) {
                fprintf(stderr, "%s: want mono 16-bit PCM\n", path); fclose(f); return -1;
            }
            w->rate = (int)rd32(fm + 4);
            fmt_ok = 1;
            fseek(f, (long)(size - 16 + (size & 1)), SEEK_CUR);
        } else if (!memcmp(ch, "data", 4)) {
            size_t i;
            unsigned char *b;
            if (!fmt_ok) break;
            if (size == 0xFFFFFFFFu) { /* streaming header: up to end of file */
                long pos = ftell(f);
                fseek(f, 0, SEEK_END);
                size = (uint32_t)(ftell(f) - pos);
                fseek(f, pos, SEEK_SET);
            }
            b = (unsigned char *)malloc(size + 1);
            w->n = fread(b, 1, size, f) / 2;
            w->pcm = (int16_t *)malloc((w->n + 1) * sizeof(int16_t));
            for (i = 0; i < w->n; i++) w->pcm[i] = (int16_t)rd16(b + 2 * i);
            free(b);
            fclose(f);
            return 0;
        } else {
            fseek(f, (long)(size + (size & 1)), SEEK_CUR);
        }
    }
    fprintf(stderr, "%s: no fmt/data chunk\n", path);
    fclose(f);
    return -1;
}

static void wr32(unsigned char *p, uint32_t v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }
static void wr16(unsigned char *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }

/* wav_write writes n mono 16-bit samples at rate; returns 0 on success. */
static int wav_write(const char *path, const int16_t *pcm, size_t n, int rate) {
    unsigned char h[44];
    size_t i;
    unsigned char *b = (unsigned char *)malloc(2 * n + 1);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); free(b); return -1; }
    memcpy(h, "RIFF", 4); wr32(h + 4, (uint32_t)(36 + 2 * n)); memcpy(h + 8, "WAVEfmt ", 8);
    wr32(h + 16, 16); wr16(h + 20, 1); wr16(h + 22, 1); wr32(h + 24, (uint32_t)rate);
    wr32(h + 28, (uint32_t)rate * 2); wr16(h + 32, 2); wr16(h + 34, 16);
    memcpy(h + 36, "data", 4); wr32(h + 40, (uint32_t)(2 * n));
    for (i = 0; i < n; i++) wr16(b + 2 * i, (uint16_t)pcm[i]);
    if (fwrite(h, 1, 44, f) != 44 || fwrite(b, 1, 2 * n, f) != 2 * n) { perror(path); fclose(f); free(b); return -1; }
    free(b);
    return fclose(f) ? -1 : 0;
}

/* opts holds the flags shared by every runner. */
typedef struct {
    const char *in, *out, *mic, *ref;
} opts_t;

/* parse_opts reads --in/--out/--mic/--ref (as "--x V" or "--x=V") from
 * argv[2:]; returns 0, or 2 (usage error) for anything else. */
static int parse_opts(int argc, char **argv, opts_t *o) {
    int i;
    memset(o, 0, sizeof *o);
    for (i = 2; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        const char **dst = NULL;
        size_t k;
        const char *names[] = {"--in", "--out", "--mic", "--ref", "-in", "-out", "-mic", "-ref"};
        const char **slots[] = {&o->in, &o->out, &o->mic, &o->ref, &o->in, &o->out, &o->mic, &o->ref};
        for (k = 0; k < 8; k++) {
            size_t l = strlen(names[k]);
            if (!strncmp(a, names[k], l) && (a[l] == 0 || a[l] == '=')) {
                dst = slots[k];
                v = a[l] == '=' ? a + l + 1 : (i + 1 < argc ? argv[++i] : NULL);
                break;
            }
        }
        if (!dst || !v) { fprintf(stderr, "bad argument %s\n", a); return 2; }
        *dst = v;
    }
    return 0;
}

#endif
