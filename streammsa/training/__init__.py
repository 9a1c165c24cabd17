"""streammsa.training"""
