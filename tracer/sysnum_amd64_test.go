package tracer

const sysMkdir = 83
