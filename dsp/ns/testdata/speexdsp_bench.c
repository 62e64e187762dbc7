/*
 * speexdsp_bench times speexdsp's preprocessor, denoise only at -18 dB
 * (AGC, VAD and dereverberation off), on 10 ms frames at 8 and 16 kHz, for
 * comparison with BenchmarkProcess in the same conditions:
 *
 *	gcc -O2 -o /tmp/speexdsp_bench dsp/ns/testdata/speexdsp_bench.c -lspeexdsp -lm
 *	/tmp/speexdsp_bench
 *
 * The input is 3 s of tone bursts (a stand-in for talk, -26 dBov) in
 * white noise (-36 dBov), cycled as BenchmarkProcess cycles its input. It
 * prints the best of 5 runs of 20000 frames, both in wall-clock time (what
 * go test -bench reports) and in the thread's CPU time (insensitive to
 * other processes on a loaded machine).
 */
#include <math.h>
#include <speex/speex_preprocess.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(clockid_t c) {
	struct timespec t;
	clock_gettime(c, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
	const int rates[2] = {8000, 16000}, iters = 20000;
	for (int r = 0; r < 2; r++) {
		int rate = rates[r], n = rate / 100, len = 3 * rate;
		short *pcm = malloc(len * sizeof *pcm), *frame = malloc(n * sizeof *frame);
		unsigned seed = 1;
		for (int i = 0; i < len; i++) {
			double t = (double)i / rate, x = 0;
			seed = seed * 1664525u + 1013904223u;
			if ((int)(t * 3) % 2) /* bursts of 1/3 s */
				x = 1163 * (sin(2 * M_PI * 220 * t) + 0.5 * sin(2 * M_PI * 1100 * t));
			x += 520 * ((double)(seed >> 8) / (1 << 24) - 0.5) * 3.4641; /* unit-RMS uniform */
			pcm[i] = (short)lrint(x);
		}
		SpeexPreprocessState *st = speex_preprocess_state_init(n, rate);
		int on = 1, off = 0, level = -18;
		speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on);
		speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC, &off);
		speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_VAD, &off);
		speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DEREVERB, &off);
		speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &level);
		double wall = 1e9, cpu = 1e9;
		for (int rep = 0; rep < 5; rep++) {
			double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
			for (int i = 0; i < iters; i++) {
				int o = (i * n) % (len - n);
				for (int j = 0; j < n; j++)
					frame[j] = pcm[o + j];
				speex_preprocess_run(st, frame);
			}
			double w = (seconds(CLOCK_MONOTONIC) - w0) / iters, c = (seconds(CLOCK_THREAD_CPUTIME_ID) - c0) / iters;
			wall = w < wall ? w : wall;
			cpu = c < cpu ? c : cpu;
		}
		printf("speexdsp %5d Hz: %6.0f ns/frame wall, %6.0f ns/frame thread CPU\n", rate, wall * 1e9, cpu * 1e9);
		speex_preprocess_state_destroy(st);
		free(pcm);
		free(frame);
	}
	return 0;
}
