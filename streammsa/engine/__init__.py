"""streammsa.engine"""
