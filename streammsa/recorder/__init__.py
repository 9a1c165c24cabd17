"""streammsa.recorder"""
