"""streammsa.capture"""
