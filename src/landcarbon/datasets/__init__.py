"""landcarbon.datasets"""
