"""streammsa.asr"""
