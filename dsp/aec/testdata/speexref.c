/* speexref: speexdsp's echo canceller over WAV files with the tail as a
 * parameter, for dsp/aec's CPU comparison (the DSP benchmark's speex_ref
 * fixes a 400 ms filter). Prints CPU seconds per audio second.
 *
 *   gcc -O2 speexref.c -o speexref -lspeexdsp
 *   speexref MIC.wav REF.wav OUT.wav TAIL_MS [1: then the preprocessor's
 *   residual echo suppression]
 *
 * Not built by go build (testdata). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
static short *readwav(const char *p, int *n, int *rate){
  FILE *f=fopen(p,"rb"); if(!f){perror(p);exit(1);}
  fseek(f,0,SEEK_END); long sz=ftell(f); fseek(f,0,SEEK_SET);
  unsigned char *b=malloc(sz); fread(b,1,sz,f); fclose(f);
  long i=12; short *d=0;
  while(i+8<=sz){ int cs=b[i+4]|b[i+5]<<8|b[i+6]<<16|b[i+7]<<24;
    if(!memcmp(b+i,"fmt ",4)) *rate=b[i+12]|b[i+13]<<8|b[i+14]<<16;
    if(!memcmp(b+i,"data",4)){ *n=cs/2; d=malloc(cs); memcpy(d,b+i+8,cs); break;}
    i+=8+cs+(cs&1);}
  return d;}
static void wr32(FILE*f,int v){fputc(v,f);fputc(v>>8,f);fputc(v>>16,f);fputc(v>>24,f);}
static void wr16(FILE*f,int v){fputc(v,f);fputc(v>>8,f);}
int main(int argc,char**argv){
  if(argc<5){fprintf(stderr,"usage: mic ref out tail_ms [pp]\n");return 2;}
  int nm,nr,rate; short*mic=readwav(argv[1],&nm,&rate); short*ref=readwav(argv[2],&nr,&rate);
  int tail=atoi(argv[4])*rate/1000, N=rate/100, pp=argc>5&&atoi(argv[5]);
  SpeexEchoState*st=speex_echo_state_init(N,tail); speex_echo_ctl(st,SPEEX_ECHO_SET_SAMPLING_RATE,&rate);
  SpeexPreprocessState*den=0; if(pp){den=speex_preprocess_state_init(N,rate); speex_preprocess_ctl(den,SPEEX_PREPROCESS_SET_ECHO_STATE,st);
    int off=0; speex_preprocess_ctl(den,SPEEX_PREPROCESS_SET_DENOISE,&off);}
  short*out=calloc(nm,2), zero[480]={0}, rb[480];
  clock_t t0=clock();
  for(int i=0;i+N<=nm;i+=N){ short*r=zero; if(i+N<=nr) r=ref+i; else if(i<nr){memset(rb,0,sizeof rb);memcpy(rb,ref+i,(nr-i)*2);r=rb;}
    speex_echo_cancellation(st,mic+i,r,out+i); if(den) speex_preprocess_run(den,out+i);}
  double cpu=(double)(clock()-t0)/CLOCKS_PER_SEC;
  fprintf(stderr,"speex: %.5f s per audio second\n",cpu/((double)nm/rate));
  FILE*f=fopen(argv[3],"wb"); fwrite("RIFF",1,4,f); wr32(f,36+nm*2); fwrite("WAVEfmt ",1,8,f); wr32(f,16); wr16(f,1); wr16(f,1); wr32(f,rate); wr32(f,rate*2); wr16(f,2); wr16(f,16);
  fwrite("data",1,4,f); wr32(f,nm*2); fwrite(out,2,nm,f); fclose(f); return 0;}
