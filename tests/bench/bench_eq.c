#define _POSIX_C_SOURCE 200809L
#include "dsp/biquad.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
/* bench_eq.c - see bench_eq.sh. */
int main(void){ const unsigned n=48000*240, blk=4096; float *l=malloc(n*4),*r=malloc(n*4); unsigned long long s=1;
 for(unsigned i=0;i<n;i++){s=s*6364136223846793005ULL+1; l[i]=(float)((s>>40)/16777216.0-0.5); r[i]=-l[i]*0.5f;}
 lathe_biquad sec[3]; lathe_biquad_bell(&sec[0],100,1,3,48000); lathe_biquad_bell(&sec[1],1000,1,-3,48000); lathe_biquad_bell(&sec[2],8000,1,2,48000);
 static lathe_biquad_cascade c; lathe_biquad_cascade_init(&c,sec,3,2);
 struct timespec t0,t1; clock_gettime(CLOCK_MONOTONIC,&t0);
 for(unsigned i=0;i<n;i+=blk){unsigned m=n-i<blk?n-i:blk; float *in[2]={l+i,r+i}; lathe_biquad_cascade_process(&c,(const float*const*)in,in,m);}
 clock_gettime(CLOCK_MONOTONIC,&t1); double sec_=(t1.tv_sec-t0.tv_sec)+1e-9*(t1.tv_nsec-t0.tv_nsec);
 printf("eq 3 bands stereo: %.3f s for 240 s of 48k stereo = %.1f Mframes/s\n",sec_,n/sec_/1e6); return (int)l[5]&0;}
