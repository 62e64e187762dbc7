/* speex_ref: the DSP benchmark's speexdsp reference runner, same CLI shape
 * as `voxgraph dsp`:
 *   speex_ref aec --mic M.wav --ref R.wav --out O.wav
 *   speex_ref ns  --in X.wav --out Y.wav
 *   speex_ref agc --in X.wav --out Y.wav
 *   speex_ref vad --in X.wav --out labels.txt
 * Frames are 10 ms. aec is speex_echo_cancellation (400 ms filter) followed
 * by the preprocessor's residual echo suppression (SPEEX_PREPROCESS_SET_
 * ECHO_STATE, with its default denoiser, as speexdsp documents the AEC);
 * ns is the preprocessor's denoiser alone; agc its AGC alone (denoise off);
 * vad its VAD (which needs the denoiser's noise estimate), one 0/1 line
 * per frame. Exit 0 on success, 1 on runtime error, 2 on usage error. */
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include "wavio.h"

int main(int argc, char **argv) {
    opts_t o;
    wav_t in, ref;
    int frame, on = 1, off = 0;
    size_t nf, i, total;
    int16_t *out, *fr;
    const char *tool = argc > 1 ? argv[1] : "";
    SpeexPreprocessState *pp;
    SpeexEchoState *echo = NULL;
    FILE *lf = NULL;

    if (argc < 2 || parse_opts(argc, argv, &o)) goto usage;
    if (!strcmp(tool, "aec")) {
        if (!o.mic || !o.ref || !o.out) goto usage;
        if (wav_read(o.mic, &in) || wav_read(o.ref, &ref)) return 1;
        if (ref.rate != in.rate) { fprintf(stderr, "speex_ref: mic %d Hz, ref %d Hz\n", in.rate, ref.rate); return 1; }
    } else if (!strcmp(tool, "ns") || !strcmp(tool, "agc") || !strcmp(tool, "vad")) {
        if (!o.in || !o.out) goto usage;
        if (wav_read(o.in, &in)) return 1;
    } else {
        goto usage;
    }
    frame = in.rate / 100;
    nf = (in.n + frame - 1) / frame;
    total = nf * frame;
    out = (int16_t *)calloc(total, sizeof(int16_t));
    fr = (int16_t *)calloc(frame, sizeof(int16_t));
    pp = speex_preprocess_state_init(frame, in.rate);
    if (!strcmp(tool, "aec")) {
        int rate = in.rate;
        echo = speex_echo_state_init(frame, in.rate * 4 / 10);
        speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
        speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_ECHO_STATE, echo);
    } else if (!strcmp(tool, "agc")) {
        float level = 8000; /* speexdsp's default target, about -12 dBov RMS */
        speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_DENOISE, &off);
        speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_AGC, &on);
        speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level);
    } else if (!strcmp(tool, "vad")) {
        speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_VAD, &on);
        if (!(lf = fopen(o.out, "w"))) { perror(o.out); return 1; }
    }
    for (i = 0; i < nf; i++) {
        size_t s = i * frame, k;
        int vad;
        for (k = 0; k < (size_t)frame; k++) fr[k] = s + k < in.n ? in.pcm[s + k] : 0;
        if (echo) {
            int16_t rf[960];
            for (k = 0; k < (size_t)frame; k++) rf[k] = s + k < ref.n ? ref.pcm[s + k] : 0;
            speex_echo_cancellation(echo, fr, rf, out + s);
            speex_preprocess_run(pp, out + s);
            continue;
        }
        vad = speex_preprocess_run(pp, fr);
        if (lf) fputs(vad ? "1\n" : "0\n", lf);
        else memcpy(out + s, fr, frame * sizeof(int16_t));
    }
    if (lf) return fclose(lf) ? 1 : 0;
    return wav_write(o.out, out, in.n, in.rate) ? 1 : 0;
usage:
    fprintf(stderr, "usage: speex_ref aec --mic M.wav --ref R.wav --out O.wav | ns|agc --in X.wav --out Y.wav | vad --in X.wav --out labels.txt\n");
    return 2;
}
