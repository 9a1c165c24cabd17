"""streammsa.models"""
